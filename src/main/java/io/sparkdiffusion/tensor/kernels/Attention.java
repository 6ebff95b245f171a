package io.sparkdiffusion.tensor.kernels;

import io.sparkdiffusion.tensor.Gemm;
import io.sparkdiffusion.tensor.Tensor;

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
 * Every array is a {@link Tensor} view (its data from its offset); the shape is a {@link Geometry}.
 */
public final class Attention {
    private Attention() {
    }

    /** The shape of an attention: N images of C channels (qkv holds 3C) over P positions. */
    public record Geometry(int n, int c, int p) {
        public Geometry {
            if (n < 1 || c < 1 || p < 1) {
                throw new IllegalArgumentException("Attention needs n, c, p >= 1, got n " + n + ", c " + c + ", p " + p);
            }
        }

        /** Entries of qkv (and of dqkv): N*3C*P. */
        public int qkvSize() {
            return n * 3 * c * p;
        }

        /** Entries of out (and of dOut): N*C*P. */
        public int outSize() {
            return n * c * p;
        }

        /** Entries of one image's probabilities: P*P. */
        public int probsSize() {
            return p * p;
        }

        /** Throws unless {@code t} holds at least {@code size} elements. */
        static void require(Tensor t, int size, String what) {
            if (t == null || t.size() < size) {
                throw new IllegalArgumentException("Attention " + what + ": expected " + size + " floats, got "
                        + (t == null ? "null" : t.size()));
            }
        }
    }

    /**
     * Writes out and the softmax probabilities: with {@code saveProbs}, image i's at {@code probs[i*P*P]} ([N, P, P],
     * for {@link #backward}); without, every image reuses one {@code P*P} scratch in {@code probs}.
     */
    public static void forward(Geometry geo, Tensor qkv, Tensor out, Tensor probs, boolean saveProbs) {
        Geometry.require(qkv, geo.qkvSize(), "qkv, a view of [N, 3C, P]");
        Geometry.require(out, geo.outSize(), "out, a view of [N, C, P]");
        Geometry.require(probs, saveProbs ? geo.n() * geo.probsSize() : geo.probsSize(),
                saveProbs ? "probs, a view of [N, P, P]" : "probs, a scratch of [P, P]");
        forward(qkv.data(), qkv.offset(), out.data(), out.offset(), probs.data(), probs.offset(),
                saveProbs ? geo.probsSize() : 0, geo.n(), geo.c(), geo.p());
    }

    private static void forward(float[] qkv, int qkvOff, float[] out, int outOff, float[] probs, int probsOff,
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

    /** dqkv += d loss / d qkv, given dOut and the probs saved by forward; scratch holds at least P*P floats. */
    public static void backward(Geometry geo, Tensor dOut, Tensor qkv, Tensor probs, Tensor dqkv, float[] scratch) {
        backward(geo, dOut, qkv, probs, dqkv, false, scratch);
    }

    /** As above; with {@code set}, dqkv = d loss / d qkv (products with beta 0: dqkv is not read). */
    public static void backward(Geometry geo, Tensor dOut, Tensor qkv, Tensor probs, Tensor dqkv, boolean set,
                                float[] scratch) {
        Geometry.require(dOut, geo.outSize(), "dOut, a view of [N, C, P]");
        Geometry.require(qkv, geo.qkvSize(), "qkv, a view of [N, 3C, P]");
        Geometry.require(probs, geo.n() * geo.probsSize(), "probs, a view of [N, P, P] saved by forward");
        Geometry.require(dqkv, geo.qkvSize(), "dqkv, a view of [N, 3C, P]");
        if (scratch.length < geo.probsSize()) {
            throw new IllegalArgumentException("Attention scratch: expected " + geo.probsSize() + " floats, got "
                    + scratch.length);
        }
        backward(dOut.data(), dOut.offset(), qkv.data(), qkv.offset(), probs.data(), probs.offset(), dqkv.data(),
                dqkv.offset(), set ? 0f : 1f, geo.n(), geo.c(), geo.p(), scratch);
    }

    private static void backward(float[] dOut, int dOutOff, float[] qkv, int qkvOff, float[] probs, int probsOff,
                                 float[] dqkv, int dqkvOff, float beta, int n, int c, int p, float[] scratch) {
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
            Gemm.sgemm(false, false, c, p, p, 1f, dOut, d, p, probs, pr, p, beta, dqkv, dv, p);
            Gemm.sgemm(true, false, p, p, c, 1f, dOut, d, p, qkv, v, p, 0f, scratch, 0, p);
            for (int row = 0; row < p; row++) {
                int r = row * p;
                float dot = Reduce.dot(probs, pr + r, scratch, r, p);
                for (int j = 0; j < p; j++) {
                    scratch[r + j] = probs[pr + r + j] * (scratch[r + j] - dot) * alpha;
                }
            }
            Gemm.sgemm(false, true, c, p, p, 1f, qkv, k, p, scratch, 0, p, beta, dqkv, dq, p);
            Gemm.sgemm(false, false, c, p, p, 1f, qkv, q, p, scratch, 0, p, beta, dqkv, dk, p);
        }
    }
}
