package io.sparkdiffusion.nn.unet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A parity fixture written by {@code torch_unet.py --dump DIR}: {@code manifest.json} lists every tensor as
 * {name, shape, offset, count} (in floats) into {@code tensors.bin}, little-endian float32 back to back.
 */
record TwinFixture(JsonNode manifest, Map<String, Tensor> tensors) {

    static TwinFixture load(Path dir) throws IOException {
        JsonNode manifest = new ObjectMapper().readTree(dir.resolve("manifest.json").toFile());
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("tensors.bin"))).order(ByteOrder.LITTLE_ENDIAN);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (JsonNode e : manifest.get("tensors")) {
            JsonNode shapeNode = e.get("shape");
            int[] dims = new int[Math.max(1, shapeNode.size())];
            dims[0] = 1; // a 0-d tensor is stored as [1]
            for (int i = 0; i < shapeNode.size(); i++) {
                dims[i] = shapeNode.get(i).asInt();
            }
            int offset = e.get("offset").asInt();
            int count = e.get("count").asInt();
            float[] data = new float[count];
            for (int i = 0; i < count; i++) {
                data[i] = bytes.getFloat(4 * (offset + i));
            }
            tensors.put(e.get("name").asText(), new Tensor(data, Shape.of(dims)));
        }
        return new TwinFixture(manifest, tensors);
    }

    Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("fixture has no tensor " + name);
        }
        return t;
    }

    /** Parameter names in the twin's {@code named_parameters()} order (entries without a '/' prefix). */
    java.util.List<String> parameterNames() {
        return tensors.keySet().stream().filter(n -> !n.contains("/")).toList();
    }

    /** Class labels from the one-hot rows (-1 for an all-zero row), or null when the net has no classes. */
    int[] labels() {
        Tensor onehot = tensors.get("input/class_onehot");
        if (onehot == null) {
            return null;
        }
        int n = onehot.shape().dim(0);
        int k = onehot.shape().dim(1);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = -1;
            for (int j = 0; j < k; j++) {
                if (onehot.get(i * k + j) == 1f) {
                    labels[i] = j;
                }
            }
        }
        return labels;
    }

    /** {@code max|actual - expected| / max(max|expected|, 1e-12)} over one tensor. */
    static double relativeError(Tensor actual, Tensor expected) {
        actual.shape().require(expected.shape(), "compared tensor");
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < expected.size(); i++) {
            maxDiff = Math.max(maxDiff, Math.abs((double) actual.get(i) - expected.get(i)));
            maxRef = Math.max(maxRef, Math.abs((double) expected.get(i)));
        }
        return maxDiff / Math.max(maxRef, 1e-12);
    }
}
