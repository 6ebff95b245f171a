package io.sparkdiffusion.cli;

import io.sparkdiffusion.io.AtomicFiles;
import io.sparkdiffusion.io.HadoopPath;
import io.sparkdiffusion.io.HadoopPaths;
import io.sparkdiffusion.io.ImageGrid;
import io.sparkdiffusion.io.Png;
import io.sparkdiffusion.tensor.Shape;
import io.sparkdiffusion.tensor.Tensor;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.util.SerializableConfiguration;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * Sample images as files: one PNG per row, named by its seed, written by the executors straight to any Hadoop
 * file system with {@link AtomicFiles} (whole or nothing, identical bytes on a retry), and grids built on the
 * driver.
 */
final class SampleFiles {
    /** Zero padding of the seed in file names, so that names sort like seeds (up to 10^8 - 1). */
    static final int SEED_DIGITS = 8;

    private SampleFiles() {
    }

    /** {@code sample-00000042.png} for seed 42. */
    static String fileName(long seed) {
        if (seed < 0) {
            throw new IllegalArgumentException("seeds of sample files must be >= 0, got " + seed);
        }
        return String.format(Locale.ROOT, "sample-%0" + SEED_DIGITS + "d.png", seed);
    }

    /**
     * Writes {@code sample-<seed>.png} into {@code outDir} for every row of {@code samples}.
     *
     * @param imageCol an {@code array<float>} CHW image of {@code shape} in [-1, 1]
     */
    static void writeAll(Dataset<Row> samples, String seedCol, String imageCol, Shape shape, String outDir,
                         SerializableConfiguration hadoop) {
        int[] dims = shape.dims();
        samples.select(seedCol, imageCol).foreachPartition((ForeachPartitionFunction<Row>) rows -> {
            HadoopPath dir = HadoopPaths.resolve(outDir, hadoop.value());
            while (rows.hasNext()) {
                Row row = rows.next();
                long seed = ((Number) row.get(0)).longValue();
                Tensor image = new Tensor(floats(row, 1), Shape.of(dims));
                AtomicFiles.write(dir.child(fileName(seed)), Png.encode(image));
            }
        });
    }

    /** The {@code array<float>} at {@code index} of {@code row}. */
    static float[] floats(Row row, int index) {
        List<Object> values = row.getList(index);
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) values.get(i)).floatValue();
        }
        return out;
    }

    /**
     * A grid PNG of collected sample rows ({@code seed, label, image}): one row per class when
     * {@code numClasses > 0}, else {@code columns} images per row, in seed order.
     */
    static byte[] grid(List<Row> rows, Shape shape, int numClasses, int columns) {
        List<Row> sorted = new ArrayList<>(rows);
        sorted.sort((a, b) -> Long.compare(((Number) a.get(0)).longValue(), ((Number) b.get(0)).longValue()));
        List<Tensor> images = new ArrayList<>();
        int[] labels = new int[sorted.size()];
        Iterator<Row> it = sorted.iterator();
        for (int i = 0; it.hasNext(); i++) {
            Row r = it.next();
            labels[i] = r.isNullAt(1) ? -1 : ((Number) r.get(1)).intValue();
            images.add(new Tensor(floats(r, 2), shape));
        }
        Tensor grid = numClasses > 0 && allLabelled(labels)
                ? ImageGrid.byLabel(images, labels, numClasses, ImageGrid.DEFAULT_GAP, ImageGrid.DEFAULT_BACKGROUND)
                : ImageGrid.of(images, columns, ImageGrid.DEFAULT_GAP, ImageGrid.DEFAULT_BACKGROUND);
        return Png.encode(grid);
    }

    private static boolean allLabelled(int[] labels) {
        for (int l : labels) {
            if (l < 0) {
                return false;
            }
        }
        return true;
    }

    /** Writes {@code bytes} to {@code dir/name} whole or not at all. */
    static void writeFile(HadoopPath dir, String name, byte[] bytes) {
        try {
            AtomicFiles.write(dir.child(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.child(name), e);
        }
    }
}
