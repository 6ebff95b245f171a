"""The Fréchet distance of two feature sets by pytorch-fid's formula (scipy.linalg.sqrtm of S1 S2), for
FrechetScipyTest: an independent computation of what io.sparkdiffusion.metrics.FrechetDistance computes.

Each input file holds one feature vector per line (whitespace-separated floats). Prints the distance with 17
significant digits. Needs numpy and scipy (Debian: python3-scipy).

Run: /usr/bin/python3 src/test/python/fid_scipy.py A.txt B.txt
"""
import sys

import numpy as np
from scipy import linalg


def frechet_distance(mu1, sigma1, mu2, sigma2):
    # pytorch-fid's calculate_frechet_distance, without its eps retry (the test's covariances are full rank).
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        raise SystemExit('sqrtm of S1 S2 is not finite: singular covariance')
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise SystemExit('imaginary component %g' % np.max(np.abs(covmean.imag)))
        covmean = covmean.real
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)


def moments(path):
    x = np.loadtxt(path, dtype=np.float64, ndmin=2)
    return x.mean(axis=0), np.cov(x, rowvar=False)


if __name__ == '__main__':
    if len(sys.argv) != 3:
        raise SystemExit('usage: fid_scipy.py A.txt B.txt')
    mu1, s1 = moments(sys.argv[1])
    mu2, s2 = moments(sys.argv[2])
    print('%.17g' % frechet_distance(mu1, s1, mu2, s2))
