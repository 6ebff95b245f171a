package io.sparkdiffusion.spark;

import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.Transformer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The four stages are registered where Spark Connect's ML loader looks (Java's ServiceLoader) and instantiate. */
class StageServicesTest {

    private static <T> List<String> ours(Class<T> service) {
        return ServiceLoader.load(service).stream()
                .filter(p -> p.type().getName().startsWith("io.sparkdiffusion."))
                .map(p -> p.get().getClass().getName()).sorted().toList();
    }

    @Test
    @SuppressWarnings("rawtypes")
    void theEstimatorAndTheThreeTransformersAreServices() {
        assertEquals(List.of(DiffusionTrainer.class.getName()), ours(Estimator.class));
        assertEquals(List.of(DiffusionModel.class.getName(), ForwardNoiser.class.getName(),
                ImageTensorizer.class.getName()), ours(Transformer.class));
    }
}
