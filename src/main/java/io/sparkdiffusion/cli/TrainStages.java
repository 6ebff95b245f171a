package io.sparkdiffusion.cli;

import io.sparkdiffusion.spark.DiffusionModel;
import io.sparkdiffusion.spark.DiffusionTrainer;
import io.sparkdiffusion.spark.ImageTensorizer;
import org.apache.spark.ml.param.Params;

import java.util.List;
import java.util.Set;

/**
 * The stages a training config sets: the {@link ImageTensorizer} (image size and channels), the
 * {@link DiffusionTrainer} (network and training) and a weightless {@link DiffusionModel} that only holds the
 * sampling settings for {@code samples.png}, copied onto the trained model.
 */
record TrainStages(ImageTensorizer tensorizer, DiffusionTrainer trainer, DiffusionModel sampling) {
    /** Column names the command line chooses itself: not config keys. */
    static final Set<String> MANAGED = Set.of("inputCol", "outputCol", "inputShape", "inputMin", "inputMax",
            "labelCol", "seedCol", "imageCol");

    static TrainStages fresh() {
        return new TrainStages(new ImageTensorizer(), new DiffusionTrainer(), new DiffusionModel("sampling"));
    }

    /** The trainer first: its doc of a shared Param (imageSize, imageChannels) is the one the reference shows. */
    List<Params> all() {
        return List.of(trainer, tensorizer, sampling);
    }

    /** Copies every sampling Param set in the config onto {@code model} (network Params stay the trainer's). */
    void applySampling(DiffusionModel model) {
        model.copySamplingParams(sampling);
    }
}
