package io.sparkdiffusion.spark;

import io.sparkdiffusion.nn.unet.UNetPreset;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

import java.util.ArrayList;
import java.util.List;

/**
 * The Param objects of {@link HasNetworkParams} for one stage: the network, its parameterization (a
 * {@link ParameterizationParams}) and the data. Created once per stage in its constructor, after its uid is set;
 * the stage hands them out through the interface's default methods. Defaults come from {@link UNetPreset} and
 * the parameterizations' own {@code defaults()}, so each number is written once.
 */
public final class NetworkParams {
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
    final DoubleParam labelScale;
    /** The parameterization Params (its kind and every field of its record). */
    final ParameterizationParams diffusion;

    NetworkParams(Params owner) {
        diffusion = new ParameterizationParams(owner);
        network = Validators.choice(owner, "network", "network preset: " + UNetPreset.describeAll()
                + "; the settings below override it", Validators.ids(UNetPreset.values(), UNetPreset::id));
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
        dropout = new DoubleParam(owner, "dropout", "dropout probability in residual blocks while training, in [0, 1); "
                + "-1 keeps the preset's (0.1 for unet-ddpm-cifar, else 0)",
                Validators.of(v -> (Double) v == -1 || ((Double) v >= 0 && (Double) v < 1)));
        labelScale = new DoubleParam(owner, "labelScale", "value of the hot entry of a label's one-hot vector before the "
                + "class embedding, > 0; 1 is the reference unet-small, EDM's SongUNet uses sqrt(numClasses)",
                Validators.doubleAbove(0));
    }

    List<Param<?>> all() {
        List<Param<?>> all = new ArrayList<>(List.of(network, imageChannels, imageSize, numClasses, labelCol,
                modelChannels, channelMult, numResBlocks, attnResolutions, dropout, labelScale));
        all.addAll(diffusion.all());
        return List.copyOf(all);
    }

    /** Sets the defaults on {@code s}, the owning stage (Scala's protected setDefault is public to Java). */
    void setDefaults(Params s) {
        diffusion.setDefaults(s);
        s.setDefault(network, UNetPreset.UNET_SMALL.id());
        s.setDefault(imageChannels, 1);
        s.setDefault(imageSize, 28);
        s.setDefault(numClasses, 0);
        s.setDefault(labelCol, "");
        s.setDefault(modelChannels, 0);
        s.setDefault(channelMult, new int[0]);
        s.setDefault(numResBlocks, 0);
        s.setDefault(attnResolutions, new int[0]);
        s.setDefault(dropout, -1.0);
        s.setDefault(labelScale, 1.0);
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
