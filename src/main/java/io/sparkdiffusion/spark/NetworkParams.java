package io.sparkdiffusion.spark;

import io.sparkdiffusion.nn.unet.UNetConfig;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/**
 * The Params that describe the network and the data, shared by {@link DiffusionTrainer} and
 * {@link DiffusionModel} (each stage exposes them through its own public methods, as Spark's reflection needs).
 */
final class NetworkParams {
    static final String[] PRESETS = {"unet-small"};

    final Param<String> parameterization;
    final Param<String> network;
    final IntParam imageChannels;
    final IntParam imageSize;
    final IntParam numClasses;
    final Param<String> labelCol;
    final IntParam modelChannels;
    final IntArrayParam channelMult;
    final IntParam numResBlocks;
    final IntArrayParam attnResolutions;
    final DoubleParam dropout;

    NetworkParams(Params owner) {
        parameterization = new Param<>(owner, "parameterization", "diffusion parameterization: flow, ve, vp or edm",
                Validators.oneOf("flow", "ve", "vp", "edm"));
        network = new Param<>(owner, "network",
                "network preset: unet-small (model channels 32, channel multipliers [1, 2, 2], 2 residual blocks per "
                        + "level, attention at the lowest resolution); the settings below override it",
                Validators.oneOf(PRESETS));
        imageChannels = new IntParam(owner, "imageChannels", "image channels C (1 gray, 3 RGB)", Validators.intAtLeast(1));
        imageSize = new IntParam(owner, "imageSize", "image height and width", Validators.intAtLeast(1));
        numClasses = new IntParam(owner, "numClasses", "number of class labels; 0 for an unconditional model",
                Validators.intAtLeast(0));
        labelCol = new Param<>(owner, "labelCol",
                "integer class-label column in [0, numClasses), null = no label; empty for unconditional data");
        modelChannels = new IntParam(owner, "modelChannels",
                "channels of the first level, a multiple of 4; 0 keeps the preset's", Validators.intAtLeast(0));
        channelMult = new IntArrayParam(owner, "channelMult",
                "channel multiplier per level (one level per entry); empty keeps the preset's", Validators.allAtLeast(1));
        numResBlocks = new IntParam(owner, "numResBlocks", "residual blocks per encoder level; 0 keeps the preset's",
                Validators.intAtLeast(0));
        attnResolutions = new IntArrayParam(owner, "attnResolutions",
                "resolutions with self-attention; empty: the lowest level's resolution", Validators.allAtLeast(1));
        dropout = new DoubleParam(owner, "dropout", "dropout probability in residual blocks while training, in [0, 1)",
                Validators.doubleInHalfOpen(0, 1));
    }

    void setDefaults(DefaultSetter s) {
        s.set(parameterization, "edm");
        s.set(network, "unet-small");
        s.set(imageChannels, 1);
        s.set(imageSize, 28);
        s.set(numClasses, 0);
        s.set(labelCol, "");
        s.set(modelChannels, 0);
        s.set(channelMult, new int[0]);
        s.set(numResBlocks, 0);
        s.set(attnResolutions, new int[0]);
        s.set(dropout, 0.0);
    }

    /** Params.setDefault is protected: the owning stage passes itself in as this callback. */
    interface DefaultSetter {
        <T> void set(Param<T> param, T value);
    }

    /** The network the settings describe, validated (UNetConfig's messages). */
    static UNetConfig resolve(Params p, NetworkParams n) {
        int c = (Integer) p.getOrDefault(n.imageChannels);
        int size = (Integer) p.getOrDefault(n.imageSize);
        int mc = (Integer) p.getOrDefault(n.modelChannels);
        int[] mult = p.getOrDefault(n.channelMult);
        int blocks = (Integer) p.getOrDefault(n.numResBlocks);
        int[] attn = p.getOrDefault(n.attnResolutions);
        // unet-small (shared/reference/unet-small.md).
        mult = mult.length == 0 ? new int[] {1, 2, 2} : mult;
        int levels = mult.length;
        if (size % (1 << (levels - 1)) != 0) {
            throw new IllegalArgumentException("imageSize " + size + " must be divisible by 2^(levels - 1) = "
                    + (1 << (levels - 1)) + " for channelMult with " + levels + " levels");
        }
        attn = attn.length == 0 ? new int[] {size >> (levels - 1)} : attn;
        return new UNetConfig(c, size, mc == 0 ? 32 : mc, mult, blocks == 0 ? 2 : blocks, attn,
                (Integer) p.getOrDefault(n.numClasses), (float) (double) (Double) p.getOrDefault(n.dropout));
    }

    /** Throws unless labelCol and numClasses agree and the label column holds integers. */
    static void validateLabels(org.apache.spark.sql.types.StructType schema, String labelCol, int numClasses) {
        if (!labelCol.isEmpty()) {
            if (numClasses == 0) {
                throw new IllegalArgumentException("labelCol '" + labelCol
                        + "' is set but numClasses is 0: set numClasses to the number of classes, or clear labelCol");
            }
            ImageColumns.requireIntColumn(schema, labelCol, "labelCol");
        }
    }
}
