/** The extension's command ids, in one table: the manifest, the lenses, hovers and tests use these names. */
export const COMMANDS = {
  openReport: 'attentionLens.openReport',
  showKvReport: 'attentionLens.showKvReport',
  refreshModels: 'attentionLens.refreshModels',
  profile: 'attentionLens.profile',
  measureQuality: 'attentionLens.measureQuality',
  compareVariants: 'attentionLens.compareVariants',
  showBudget: 'attentionLens.showBudget',
  chooseGpu: 'attentionLens.chooseGpu',
  chooseKvDtype: 'attentionLens.chooseKvDtype',
  chooseRuntime: 'attentionLens.chooseRuntime',
  chooseProfileAdapter: 'attentionLens.chooseProfileAdapter',
  exportReport: 'attentionLens.exportReport',
  copyLaunchCommand: 'attentionLens.copyLaunchCommand',
  showLogs: 'attentionLens.showLogs',
} as const;

export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];
