package io.sparkdiffusion.cli;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InfoCommandTest {
    @TempDir
    Path dir;

    @Test
    void printsWhatTheModelIs() throws IOException {
        Path meta = Files.createDirectories(dir.resolve("model/metadata"));
        Files.writeString(meta.resolve("part-00000"), "{\"class\":\"io.sparkdiffusion.spark.DiffusionModel\","
                + "\"timestamp\":0,\"sparkVersion\":\"4.2.0\",\"uid\":\"DiffusionModel_abc\","
                + "\"paramMap\":{\"numSteps\":18,\"numClasses\":10,\"parameterization\":\"edm\"},"
                + "\"defaultParamMap\":{\"rho\":7.0,\"numSteps\":0,\"network\":\"unet-small\"}}\n");
        Files.writeString(meta.resolve("_SUCCESS"), "");
        Properties network = new Properties();
        network.setProperty("imgChannels", "1");
        network.setProperty("imgResolution", "28");
        network.setProperty("modelChannels", "32");
        network.setProperty("channelMult", "1,2,2");
        network.setProperty("numResBlocks", "2");
        network.setProperty("attnResolutions", "7");
        network.setProperty("dropout", "0.0");
        String manifest = "format spark-diffusion-weights\nversion 1\narray weights 1623489 1\n";
        String metrics = "{\"round\":1,\"imagesSeen\":320,\"loss\":1.5}\n{\"round\":2,\"imagesSeen\":640,\"loss\":0.75}\n";
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        InfoCommand.print(InfoCommand.readMetadata(dir.resolve("model").toString(), new Configuration()), network,
                manifest, metrics, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.startsWith("model             DiffusionModel (uid DiffusionModel_abc, Spark 4.2.0, saved "
                + "1970-01-01T00:00:00Z)\nparameterization  edm\nnetwork           unet-small: 1x28x28 images, model "
                + "channels 32, channel multipliers [1,2,2], 2 residual blocks per level, attention at [7], dropout 0.0, label scale 1.0\n"
                + "network file      no entriesSha256 (saved before models carried one; loads unchecked)\n"
                + "parameters        1,623,489\nclasses           10 (class-conditional)\n"
                + "images seen       640 in 2 rounds, last round's loss 0.7500"), out);
        assertTrue(out.contains("\n  * numSteps               18\n"), out);
        assertTrue(out.contains("\n    rho                    7.0\n"), out);
        assertTrue(out.contains("\nfinal quality     not evaluated (train with evalInterval > 0"), out);

        bytes.reset();
        String quality = "{\"round\": 2, \"imagesSeen\": 640, \"evalSeconds\": 31.250, \"numSamples\": 500, "
                + "\"fid\": 123.456, \"precision\": 0.5, \"recall\": 0.25, \"precisionRecallSamples\": 500, "
                + "\"classAccuracy\": 0.75, \"perClassAccuracy\": [0.5, 1]}\n";
        InfoCommand.print(InfoCommand.readMetadata(dir.resolve("model").toString(), new Configuration()), network,
                manifest, metrics, quality, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("\nfinal quality     fid 123.456, precision 0.500, "
                + "recall 0.250, classAccuracy 0.750 (500 samples of the EMA weights after round 2, 640 images;"),
                bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void printsWhatAFeatureNetworkIs() throws IOException {
        Path meta = Files.createDirectories(dir.resolve("features/metadata"));
        Files.writeString(meta.resolve("part-00000"), "{\"class\":\"io.sparkdiffusion.spark.FeatureNetworkModel\","
                + "\"timestamp\":0,\"sparkVersion\":\"4.2.0\",\"uid\":\"featureNetwork_abc\","
                + "\"paramMap\":{\"featureDim\":64},\"defaultParamMap\":{\"channels\":16}}\n");
        Properties network = new Properties();
        network.setProperty("imgChannels", "1");
        network.setProperty("imgResolution", "28");
        network.setProperty("channels", "16");
        network.setProperty("featureDim", "64");
        network.setProperty("numClasses", "10");
        String manifest = "format spark-diffusion-weights\nversion 1\narray weights 224714 1\n"
                + "array referenceFeatures 128000 1\n";
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        InfoCommand.printFeatureNetwork(InfoCommand.readMetadata(dir.resolve("features").toString(), new Configuration()),
                network, manifest, "{\"testAccuracy\": 0.8762}\n", new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        // 128,000 reference floats of 64 features are 2,000 rows.
        assertTrue(out.startsWith("model             FeatureNetworkModel (uid featureNetwork_abc, Spark 4.2.0, saved "
                + "1970-01-01T00:00:00Z)\nnetwork           feature CNN: 1x28x28 images, convolutions of 16, 32, 64 "
                + "channels, 64 features, 10 classes\nnetwork file      no entriesSha256 (saved before"
                + " models carried one; loads unchecked)\nparameters        224,714\nreference rows    2,000 (for precision"
                + " and recall; the moments cover all the images it was fitted on)\naccuracy          "
                + "{\"testAccuracy\": 0.8762}\n"), out);
        assertTrue(out.contains("\n  * featureDim             64\n") && out.contains("\n    channels               16\n"),
                out);
    }

    @Test
    void saysWhetherTheNetworkFileStillHoldsWhatWasSaved() throws Exception {
        Properties network = new Properties();
        network.setProperty("labelScale", "3.1622777");
        network.setProperty("dropout", "0.0");
        network.setProperty("formatVersion", "2");
        // The documented form, computed here: key=value lines in key order.
        String saved = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(
                "dropout=0.0\nformatVersion=2\nlabelScale=3.1622777\n".getBytes(StandardCharsets.UTF_8)));
        network.setProperty("entriesSha256", saved);
        assertEquals("entries match their SHA-256 (entriesSha256)", InfoCommand.networkFile(network));

        network.setProperty("labelScale", "1.0");
        String changed = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(
                "dropout=0.0\nformatVersion=2\nlabelScale=1.0\n".getBytes(StandardCharsets.UTF_8)));
        assertEquals("CHANGED after it was saved: its entries' SHA-256 is " + changed + ", its entriesSha256 says "
                + saved + "; the model will not load (restore data/network.properties from the original model)",
                InfoCommand.networkFile(network));
    }

    @Test
    void aDirectoryWithoutMetadataIsNamed() {
        UsageException e = assertThrows(UsageException.class,
                () -> InfoCommand.readMetadata(dir.toString(), new Configuration()));
        assertEquals("model " + dir + " has no metadata/ directory: not a saved Spark ML model", e.getMessage());
    }
}
