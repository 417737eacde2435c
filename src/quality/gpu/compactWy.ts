/**
 * The triangular factor of a compact-WY block (LAPACK's DLARFT, forward, column-wise), in f64 on the
 * CPU: for reflectors H_j = I − τ_j·v_j·v_jᵀ (j = 0 … nb−1), H_0·H_1···H_{nb−1} = I − V·T·Vᵀ with T
 * upper triangular, T[j][j] = τ_j and T[0:j, j] = −τ_j·T[0:j, 0:j]·(Vᵀ·v_j)[0:j]. Only the Gram matrix
 * S = Vᵀ·V of the block's reflectors is needed (the GPU computes it); nb² work per column, nb³ per block.
 */

/** T (nb × nb, row-major) from S (nb × nb, row-major, S[l][j] = v_l·v_j) and τ. */
export function compactWyT(S: ArrayLike<number>, tau: ArrayLike<number>, nb: number): Float64Array {
  const T = new Float64Array(nb * nb);
  for (let j = 0; j < nb; j++) {
    const tj = tau[j]!;
    T[j * nb + j] = tj;
    if (tj === 0) continue; // no reflector: column j of T stays zero
    for (let i = 0; i < j; i++) {
      let s = 0;
      for (let l = i; l < j; l++) s += T[i * nb + l]! * S[l * nb + j]!;
      T[i * nb + j] = -tj * s;
    }
  }
  return T;
}
