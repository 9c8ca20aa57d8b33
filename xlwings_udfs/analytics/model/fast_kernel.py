"""Fast path: the binned noise kernel for many lengths and shapes at once.

What it speeds up. The scan needs the binned kernel of every (phi, psi) of the grid for every
length a panel's funds are fitted to (over a hundred when funds launched on different dates), and
the refinement one kernel per fund at its own (phi, psi). ``spectrum.binned_kernel`` computes
it for one length; here the frequencies of all the lengths ("segments") are laid end to end
and summed bin by bin in one pass, and the five functions of the closed form, which depend on
phi alone, are computed once per phi and combined with every psi by one matrix product.
``grid_kernels`` makes that one pass for all the blocks of shapes of the grid together (the
bin sums of every phi of every block, each phi once), then combines each block's phi with its
psi as ``binned_kernels`` does.

Why it is exact. Each bin's sum runs over that bin's own frequencies only, in the same order
whatever the other segments, the other values of phi and however the frequencies are cut
into chunks, so a length's kernel is the same computed alone or with others (to the last
bit), and ``grid_kernels`` gives each block what ``binned_kernels`` gives it. It is the
closed form of ``spectrum.kernel_coefficients``, which agrees with the defining lag sum
(``reference.binned_kernel``) to about 1e-12 relative.

Plain equivalent: ``spectrum.binned_kernel(n, phi, psi)`` for each length, and by definition
``reference.binned_kernel``.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .spectrum import MAX_BINS, bin_edges, bin_widths, frequencies, kernel_coefficients

__all__ = ["binned_kernels", "grid_kernels"]

# Frequencies (times values of phi) per chunk of the kernel's bin sums: bounds its memory, and
# keeps a chunk's five terms in the processor's cache.
_KERNEL_CHUNK = 100_000


def binned_kernels(ns: np.ndarray, phi: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """The binned noise kernel of many segments (lengths) and shapes at once.

    ``ns`` (S,) the length of each segment (the grids of a panel's lengths, or its funds);
    ``phi`` (S, P), P values of phi per segment; ``psi`` (S, P, J), J values of psi per phi.
    The bins are summed in chunks of whole bins, so that memory grows with the widest bin, not
    with the lengths. Returns (S, MAX_BINS, P, J); the bins a segment does not have (a short
    one) are 1.
    """
    ns = np.asarray(ns)
    phi = np.asarray(phi, dtype=float).reshape(ns.size, -1)
    psi = np.asarray(psi, dtype=float).reshape(ns.size, phi.shape[1], -1)
    return _combined(ns, phi, psi, _bin_means(ns, phi))


def grid_kernels(ns: np.ndarray, blocks) -> list[np.ndarray]:
    """binned_kernels of each block of shapes, (phi values, psi values), for every length of ``ns``.

    The phi of all the blocks share one pass over each length's frequencies. Returns one
    array per block, (S, MAX_BINS, phi, psi), what binned_kernels returns for that block.
    """
    ns = np.asarray(ns)
    values = np.unique(np.concatenate([phi for phi, _ in blocks]))
    means = _bin_means(ns, np.broadcast_to(values, (ns.size, values.size)))
    kernels = []
    for phi, psi in blocks:
        shapes = (ns.size, phi.size, psi.size)
        kernels.append(_combined(ns, np.broadcast_to(phi, shapes[:2]), np.broadcast_to(psi, shapes),
                                 means[:, np.searchsorted(values, phi)]))
    return kernels


def _bin_means(ns: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Bin means of the five functions w c^a / D^b of the closed form, (5, P, S, MAX_BINS),
    for the P values of phi of each segment (``phi`` (S, P)); 0 in the bins a segment lacks."""
    n_seg, n_phi = phi.shape
    # Pieces (segment, first bin, stop bin) of about a chunk of frequencies at most (a segment
    # longer than that is cut between bins, so a piece can exceed a chunk by one bin),
    # gathered into chunks.
    step = max(1, _KERNEL_CHUNK // n_phi)
    chunks, chunk, size = [], [], 0
    for s, n in enumerate(ns.tolist()):
        edges = bin_edges((n - 1) // 2)
        cuts = [0, edges.size - 1] if edges[-1] <= step else \
            np.unique(np.concatenate([[0], np.searchsorted(edges, np.arange(step, edges[-1], step)), [edges.size - 1]])).tolist()
        for b0, b1 in zip(cuts[:-1], cuts[1:]):
            width = int(edges[b1] - edges[b0])
            if chunk and size + width > step:
                chunks.append(chunk)
                chunk, size = [], 0
            chunk.append((s, n, b0, b1))
            size += width
    chunks.append(chunk)
    shared = n_seg > 1 and bool(np.all(phi == phi[:1]))  # the same phi for every segment (grids)
    # Bin means of w c^a / D^b, (5, phi, segment, bins), frequencies along the last axis so
    # that every operation runs along long contiguous rows.
    means = np.zeros((5, n_phi, n_seg, MAX_BINS))
    for chunk in chunks:
        if len(chunk) == 1:
            s, n, b0, b1 = chunk[0]
            edges = bin_edges((n - 1) // 2)
            w, c = _frequencies(n, edges[b0], edges[b1])
            starts = edges[b0:b1] - edges[b0]
            f = phi[s][:, None]
        else:
            pieces = [(_frequencies(n, e[0], e[-1]), e) for _, n, b0, b1 in chunk
                      for e in [bin_edges((n - 1) // 2)[b0 : b1 + 1]]]
            w = np.concatenate([wc[0] for wc, _ in pieces])
            c = np.concatenate([wc[1] for wc, _ in pieces])
            counts = [e[-1] - e[0] for _, e in pieces]
            starts = np.concatenate([e[:-1] - e[0] + at for (_, e), at in zip(pieces, np.cumsum([0] + counts[:-1]))])
            f = phi[0][:, None] if shared else np.repeat(phi[[s for s, *_ in chunk]].T, counts, axis=1)
        inv_d = f * w
        inv_d += (1.0 - f) ** 2  # D = (1 - phi)^2 + phi w: exact near lambda = 0
        np.reciprocal(inv_d, out=inv_d)
        terms = np.empty((5,) + inv_d.shape)
        np.multiply(w, inv_d, out=terms[0])  # w / D
        np.multiply(terms[0], c, out=terms[1])  # w c / D
        np.multiply(terms[0], inv_d, out=terms[2])  # w / D^2
        np.multiply(terms[1], inv_d, out=terms[3])  # w c / D^2
        np.multiply(terms[3], c, out=terms[4])  # w c^2 / D^2
        sums = np.add.reduceat(terms, starts, axis=2)
        at = 0
        for s, n, b0, b1 in chunk:
            means[:, :, s, b0:b1] = sums[:, :, at : at + b1 - b0] / bin_widths((n - 1) // 2)[b0:b1]
            at += b1 - b0
    return means


def _combined(ns: np.ndarray, phi: np.ndarray, psi: np.ndarray, means: np.ndarray) -> np.ndarray:
    """The kernel (S, MAX_BINS, P, J) from the bin means of _bin_means for ``phi`` (S, P) and
    the coefficients of the five functions at each psi of ``psi`` (S, P, J)."""
    coef = kernel_coefficients(ns.astype(float)[:, None, None], phi[:, :, None], psi)  # (segment, phi, 5, psi)
    k = np.matmul(means.transpose(2, 1, 3, 0), coef).transpose(0, 2, 1, 3)  # (segment, bins, phi, psi)
    for s, n in enumerate(ns.tolist()):
        k[s, bin_edges((n - 1) // 2).size - 1 :] = 1.0
    return k


def _frequencies(n: int, lo: int, hi: int):
    """spectrum.frequencies(n, lo, hi), cached for usual histories (read-only).

    A fund's refinement evaluates the kernel at its own frequencies again; the cache stays
    small (64 x 8192 x 16 bytes at most).
    """
    return (_cached_frequencies if hi - lo <= 8192 else frequencies)(n, lo, hi)


@lru_cache(maxsize=64)
def _cached_frequencies(n: int, lo: int, hi: int):
    w, c = frequencies(n, lo, hi)
    w.flags.writeable = c.flags.writeable = False
    return w, c
