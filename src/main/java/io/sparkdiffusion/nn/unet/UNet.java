package io.sparkdiffusion.nn.unet;

import io.sparkdiffusion.autograd.Tape;
import io.sparkdiffusion.autograd.Var;
import io.sparkdiffusion.nn.AttentionBlock;
import io.sparkdiffusion.nn.Block;
import io.sparkdiffusion.nn.Conv2d;
import io.sparkdiffusion.nn.Downsample;
import io.sparkdiffusion.nn.DropoutDraw;
import io.sparkdiffusion.nn.GroupNorm;
import io.sparkdiffusion.nn.Linear;
import io.sparkdiffusion.nn.ParameterStore;
import io.sparkdiffusion.nn.PositionalEmbedding;
import io.sparkdiffusion.nn.ResBlock;
import io.sparkdiffusion.nn.Upsample;
import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The denoiser network {@code F(x, c_noise, label) -> [N, C, H, W]}, block for block the PyTorch twin
 * ({@code shared/reference/torch_unet.py}, see unet-small.md): same blocks in the same order, same skip
 * bookkeeping (every non-attention encoder block pushes a skip; every decoder residual block pops one and sees
 * {@code concat([h, skip])}), same parameter names and layouts, so twin weights load by name.
 *
 * <p>Embedding: {@code emb = SiLU(Linear(SiLU(Linear(pos(c_noise) + Linear_noBias(onehot(label))))))},
 * {@code [N, 4 modelChannels]}; an all-zero one-hot (label -1 or no labels) means "no label".
 *
 * <p>All weights live in one {@link ParameterStore} ({@link #parameters()}); build one network per thread
 * (forward passes share no mutable state but the store's gradient array).
 */
public final class UNet {
    private final UNetConfig config;
    private final ParameterStore params;
    private final PositionalEmbedding posEmb;
    private final Linear classEmb; // null when numClasses == 0
    private final Linear embMlp0;
    private final Linear embMlp2;
    private final Conv2d convIn;
    private final List<Block> enc = new ArrayList<>();
    private final List<Block> mid = new ArrayList<>();
    private final List<Block> dec = new ArrayList<>();
    private final GroupNorm normOut;
    private final Conv2d convOut;

    /** Builds the network of {@code config} with PyTorch-default initial weights drawn from {@code seed}. */
    public UNet(UNetConfig config, long seed) {
        this.config = config;
        this.params = new ParameterStore(seed);
        int mc = config.modelChannels();
        int embDim = config.embDim();
        int[] mults = config.channelMult();
        this.posEmb = new PositionalEmbedding(mc);
        this.classEmb = config.numClasses() > 0 ? new Linear(params, "class_emb", config.numClasses(), mc, false) : null;
        this.embMlp0 = new Linear(params, "emb_mlp.0", mc, embDim, true);
        this.embMlp2 = new Linear(params, "emb_mlp.2", embDim, embDim, true);
        this.convIn = Conv2d.conv3x3(params, "conv_in", config.imgChannels(), mc);

        Deque<Integer> skips = new ArrayDeque<>();
        skips.push(mc);
        int cin = mc;
        int res = config.imgResolution();
        int site = 0;
        for (int level = 0; level < mults.length; level++) {
            int cout = mc * mults[level];
            for (int i = 0; i < config.numResBlocks(); i++) {
                enc.add(new ResBlock(params, "enc." + enc.size(), cin, cout, embDim, config.dropout(), site++));
                cin = cout;
                if (config.hasAttentionAt(res)) {
                    enc.add(new AttentionBlock(params, "enc." + enc.size(), cin));
                }
                skips.push(cin);
            }
            if (level != mults.length - 1) {
                enc.add(new Downsample(params, "enc." + enc.size(), cin));
                res /= 2;
                skips.push(cin);
            }
        }

        mid.add(new ResBlock(params, "mid.0", cin, cin, embDim, config.dropout(), site++));
        mid.add(new AttentionBlock(params, "mid.1", cin));
        mid.add(new ResBlock(params, "mid.2", cin, cin, embDim, config.dropout(), site++));

        for (int level = mults.length - 1; level >= 0; level--) {
            int cout = mc * mults[level];
            for (int i = 0; i < config.numResBlocks() + 1; i++) {
                int skip = skips.pop();
                dec.add(new ResBlock(params, "dec." + dec.size(), cin + skip, cout, embDim, config.dropout(), site++));
                cin = cout;
                if (config.hasAttentionAt(res)) {
                    dec.add(new AttentionBlock(params, "dec." + dec.size(), cin));
                }
            }
            if (level != 0) {
                dec.add(new Upsample(params, "dec." + dec.size(), cin));
                res *= 2;
            }
        }

        this.normOut = new GroupNorm(params, "norm_out", cin);
        this.convOut = Conv2d.conv3x3(params, "conv_out", cin, config.imgChannels());
        params.seal();
    }

    /**
     * The network of {@code config} holding {@code values} (e.g. broadcast or checkpointed weights, in
     * {@link ParameterStore#values()} order); {@code values} is copied.
     */
    public static UNet fromValues(UNetConfig config, float[] values) {
        UNet net = new UNet(config, 0);
        net.parameters().setValues(values);
        return net;
    }

    public UNetConfig config() {
        return config;
    }

    /** The flat parameter and gradient arrays and the named views into them. */
    public ParameterStore parameters() {
        return params;
    }

    public int numParameters() {
        return params.numParameters();
    }

    /** Evaluation forward pass (no dropout) of images {@code x [N, C, H, W]}, recorded as a constant. */
    public Var forward(Tape tape, Tensor x, float[] cNoise, int[] labels) {
        return forward(tape, tape.constant(x), cNoise, labels, null);
    }

    /** Evaluation forward pass (no dropout); {@code x} may be a tape input when its gradient is wanted. */
    public Var forward(Tape tape, Var x, float[] cNoise, int[] labels) {
        return forward(tape, x, cNoise, labels, null);
    }

    /**
     * The forward pass.
     *
     * @param x       images {@code [N, imgChannels, imgResolution, imgResolution]}
     * @param cNoise  the noise-level input {@code c_noise}, one per image ({@code [N]})
     * @param labels  class labels in {@code [0, numClasses)} or -1 for "no label", one per image; or {@code null}
     *                for no labels at all
     * @param draw    this training pass's dropout masks, or {@code null} for none (evaluation); ignored when the
     *                config's dropout is 0
     * @return the network output {@code [N, imgChannels, imgResolution, imgResolution]}
     */
    public Var forward(Tape tape, Var x, float[] cNoise, int[] labels, DropoutDraw draw) {
        int n = checkInputs(x.shape(), cNoise, labels);

        Var emb = tape.constant(posEmb.embed(cNoise));
        if (classEmb != null) {
            emb = tape.add(emb, classEmb.forward(tape, tape.constant(oneHot(labels, n))));
        }
        emb = tape.silu(embMlp2.forward(tape, tape.silu(embMlp0.forward(tape, emb))));

        // An inference tape frees every dead activation after each block, so a large sampling batch holds
        // only h, the skips and one block's intermediates; a recording tape keeps all for backward.
        int live = tape.isRecording() ? -1 : tape.mark();
        Var h = convIn.forward(tape, x);
        Deque<Var> skips = new ArrayDeque<>();
        skips.push(h);
        for (Block block : enc) {
            h = block.forward(tape, h, emb, draw);
            if (!(block instanceof AttentionBlock)) {
                skips.push(h);
            }
            releaseDead(tape, live, h, skips);
        }
        for (Block block : mid) {
            h = block.forward(tape, h, emb, draw);
            releaseDead(tape, live, h, skips);
        }
        for (Block block : dec) {
            if (block instanceof ResBlock) {
                h = tape.concatChannels(h, skips.pop());
            }
            h = block.forward(tape, h, emb, draw);
            releaseDead(tape, live, h, skips);
        }
        return convOut.forwardNormSilu(tape, normOut, h);
    }

    private static void releaseDead(Tape tape, int mark, Var h, Deque<Var> skips) {
        if (mark < 0) {
            return;
        }
        Var[] keep = new Var[skips.size() + 1];
        keep[0] = h;
        int i = 1;
        for (Var s : skips) {
            keep[i++] = s;
        }
        tape.releaseSince(mark, keep);
    }

    private int checkInputs(Shape xShape, float[] cNoise, int[] labels) {
        int c = config.imgChannels();
        int r = config.imgResolution();
        if (xShape.rank() != 4 || xShape.dim(1) != c || xShape.dim(2) != r || xShape.dim(3) != r) {
            throw new IllegalArgumentException("x: expected [N, " + c + ", " + r + ", " + r + "], got " + xShape);
        }
        int n = xShape.dim(0);
        if (cNoise == null || cNoise.length != n) {
            throw new IllegalArgumentException("cNoise: expected one noise level per image (" + n + "), got "
                    + (cNoise == null ? "null" : cNoise.length));
        }
        if (labels != null && labels.length != n) {
            throw new IllegalArgumentException("labels: expected one label per image (" + n + "), got " + labels.length);
        }
        if (labels != null) {
            for (int i = 0; i < n; i++) {
                if (labels[i] < -1 || labels[i] >= config.numClasses()) {
                    throw new IllegalArgumentException("labels[" + i + "] must be -1 (no label) or in [0, "
                            + config.numClasses() + "), got " + labels[i] + " (numClasses = " + config.numClasses() + ")");
                }
            }
        }
        return n;
    }

    /** {@code [N, numClasses]}: row i is {@code labelScale} at labels[i] and 0 elsewhere, all zero for -1 or no labels. */
    private Tensor oneHot(int[] labels, int n) {
        Tensor t = Tensor.zeros(Shape.of(n, config.numClasses()));
        if (labels != null) {
            for (int i = 0; i < n; i++) {
                if (labels[i] >= 0) {
                    t.set(i * config.numClasses() + labels[i], config.labelScale());
                }
            }
        }
        return t;
    }

    @Override
    public String toString() {
        return "UNet(" + config + ") with " + numParameters() + " parameters";
    }
}
