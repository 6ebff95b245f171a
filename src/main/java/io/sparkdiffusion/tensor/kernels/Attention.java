package io.sparkdiffusion.tensor.kernels;

import io.sparkdiffusion.tensor.Gemm;

/**
 * Single-head self-attention over the P = H*W positions of an image (torch_unet.py's Attention, between
 * qkv and proj).
 *
 * <pre>
 * qkv [N, 3C, P]: q = channels [0, C), k = [C, 2C), v = [2C, 3C)     out [N, C, P]
 * S[q,k] = sum_c Q[c,q] K[c,k] / sqrt(C)          probs = softmax over k of S   [N, P, P]
 * out[c,q] = sum_k probs[q,k] V[c,k]
 * backward: dV = dOut probs;   dprobs = dOut^T V;   dS = probs * (dprobs - rowsum(probs * dprobs)) / sqrt(C)
 *           dQ = K dS^T;       dK = Q dS
 * </pre>
 */
public final class Attention {
    private Attention() {
    }

    /**
     * Writes out and the softmax probabilities of image i at {@code probs[probsOff + i*probsStride]}; pass
     * {@code probsStride = 0} with a {@code P*P} scratch when backward will not run.
     */
    public static void forward(float[] qkv, int qkvOff, float[] out, int outOff, float[] probs, int probsOff,
                               int probsStride, int n, int c, int p) {
        float alpha = (float) (1.0 / Math.sqrt(c));
        for (int i = 0; i < n; i++) {
            int q = qkvOff + i * 3 * c * p;
            int k = q + c * p;
            int v = k + c * p;
            int pr = probsOff + i * probsStride;
            Gemm.sgemm(true, false, p, p, c, alpha, qkv, q, p, qkv, k, p, 0f, probs, pr, p);
            for (int row = 0; row < p; row++) {
                softmaxInPlace(probs, pr + row * p, p);
            }
            Gemm.sgemm(false, true, c, p, p, 1f, qkv, v, p, probs, pr, p, 0f, out, outOff + i * c * p, p);
        }
    }

    private static void softmaxInPlace(float[] a, int off, int len) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < len; j++) {
            max = Math.max(max, a[off + j]);
        }
        float sum = 0f;
        for (int j = 0; j < len; j++) {
            float e = (float) Math.exp(a[off + j] - max);
            a[off + j] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int j = 0; j < len; j++) {
            a[off + j] *= inv;
        }
    }

    /** dqkv += d loss / d qkv, given dOut and the probs saved by forward; scratch holds P*P floats. */
    public static void backward(float[] dOut, int dOutOff, float[] qkv, int qkvOff, float[] probs, int probsOff,
                                float[] dqkv, int dqkvOff, int n, int c, int p, float[] scratch) {
        float alpha = (float) (1.0 / Math.sqrt(c));
        for (int i = 0; i < n; i++) {
            int q = qkvOff + i * 3 * c * p;
            int k = q + c * p;
            int v = k + c * p;
            int dq = dqkvOff + i * 3 * c * p;
            int dk = dq + c * p;
            int dv = dk + c * p;
            int d = dOutOff + i * c * p;
            int pr = probsOff + i * p * p;
            Gemm.sgemm(false, false, c, p, p, 1f, dOut, d, p, probs, pr, p, 1f, dqkv, dv, p);
            Gemm.sgemm(true, false, p, p, c, 1f, dOut, d, p, qkv, v, p, 0f, scratch, 0, p);
            for (int row = 0; row < p; row++) {
                int r = row * p;
                float dot = Reduce.dot(probs, pr + r, scratch, r, p);
                for (int j = 0; j < p; j++) {
                    scratch[r + j] = probs[pr + r + j] * (scratch[r + j] - dot) * alpha;
                }
            }
            Gemm.sgemm(false, true, c, p, p, 1f, qkv, k, p, scratch, 0, p, 1f, dqkv, dq, p);
            Gemm.sgemm(false, false, c, p, p, 1f, qkv, q, p, scratch, 0, p, 1f, dqkv, dk, p);
        }
    }
}
