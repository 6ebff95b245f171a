package io.sparkdiffusion.spark;

import io.sparkdiffusion.nn.unet.UNetConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A model saved by the build before the model classes moved ({@code src/test/resources/model-format-1}, written
 * by {@link ModelFixture} on commit eead016) still loads, describes the same network, and draws the same samples,
 * bit for bit, as that build drew from it.
 */
class SavedModelFormatTest extends SparkTestBase {

    static Path fixture() throws URISyntaxException {
        return Path.of(SavedModelFormatTest.class.getResource("/model-format-1/data/manifest.txt").toURI())
                .getParent().getParent();
    }

    @Test
    void aModelOfFormatOneLoadsAndSamplesAsTheBuildThatSavedIt() throws IOException, URISyntaxException {
        DiffusionModel model = DiffusionModel.load(fixture().toString());
        assertEquals(new UNetConfig(1, ModelFixture.SIZE, 4, new int[] {1, 2}, 1, new int[] {4}, 2, 0f),
                model.networkConfig());
        assertEquals("edm", model.getParameterization());
        assertEquals("label", model.getLabelCol());
        List<String> expected = Files.readAllLines(fixture().resolve("samples.txt"), StandardCharsets.UTF_8);
        assertEquals(expected, ModelFixture.samples(model));
    }
}
