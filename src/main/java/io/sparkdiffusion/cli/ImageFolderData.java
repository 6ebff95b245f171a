package io.sparkdiffusion.cli;

import io.sparkdiffusion.io.HadoopPath;
import io.sparkdiffusion.io.HadoopPaths;
import io.sparkdiffusion.spark.ImageTensorizer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * A folder of PNG / JPEG images, one subfolder per class, read in one pass: the driver lists the files (no image
 * is opened there), sorts their paths, labels each by its parent folder's name among all of them (sorted), keeps
 * the first {@code maxImages} and cuts the list into contiguous slices, one per partition; each task then reads
 * its own files, once, and the {@link ImageTensorizer} decodes each once when the trainer builds its shards. No
 * image bytes are sorted or shuffled, and the count comes from the listing.
 *
 * <p>Files whose names, or the names of folders under the root that hold them, start with {@code .} or {@code _}
 * (hidden files, {@code .ipynb_checkpoints/}, {@code _SUCCESS}) are not images; other
 * files that are not {@code .png}, {@code .jpg} or {@code .jpeg} are left out too, and how many is logged.
 */
final class ImageFolderData {
    static final String PATH = "path";
    static final String CONTENT = "content";
    private static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg");
    private static final System.Logger LOG = System.getLogger(ImageFolderData.class.getName());

    /** One image file: its URI and its label. */
    record ImageFile(String uri, int label) implements java.io.Serializable {
    }

    private ImageFolderData() {
    }

    static TrainingData.Loaded load(SparkSession spark, TrainSettings settings, Configuration hadoop,
                                    ImageTensorizer tensorizer, int partitions) throws IOException {
        HadoopPath root = HadoopPaths.resolve(settings.data(), hadoop);
        TreeMap<String, String> classOf = new TreeMap<>();
        int ignored = 0;
        RemoteIterator<LocatedFileStatus> it = root.fs().listFiles(root.path(), true);
        while (it.hasNext()) {
            LocatedFileStatus f = it.next();
            String name = f.getPath().getName();
            if (hidden(root.path(), f.getPath())) {
                continue;
            }
            int dot = name.lastIndexOf('.');
            if (dot < 0 || !EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT))) {
                ignored++;
                continue;
            }
            classOf.put(f.getPath().toString(), f.getPath().getParent().getName());
        }
        if (classOf.isEmpty()) {
            throw new UsageException("data " + settings.data() + " holds no .png, .jpg or .jpeg images (dataFormat "
                    + settings.dataFormat().key() + " expects one subfolder of images per class)");
        }
        if (ignored > 0) {
            LOG.log(System.Logger.Level.WARNING, "data " + settings.data() + ": left out " + ignored
                    + " files that are not .png, .jpg or .jpeg");
        }
        List<String> names = List.copyOf(new TreeSet<>(classOf.values()));
        List<ImageFile> files = new ArrayList<>();
        for (Map.Entry<String, String> e : classOf.entrySet()) {
            if (settings.maxImages() > 0 && files.size() == settings.maxImages()) {
                break;
            }
            files.add(new ImageFile(e.getKey(), names.indexOf(e.getValue())));
        }
        int n = files.size();
        List<List<ImageFile>> slices = IntStream.range(0, partitions).mapToObj(p -> List.copyOf(
                files.subList(TrainingData.sliceStart(p, n, partitions), TrainingData.sliceStart(p + 1, n, partitions))))
                .toList();
        SerializableConfiguration conf = new SerializableConfiguration(hadoop);
        JavaRDD<Row> rows = JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(slices, partitions)
                .flatMap(slice -> read(slice, conf));
        StructType schema = new StructType()
                .add(PATH, DataTypes.StringType, false)
                .add(CONTENT, DataTypes.BinaryType, false)
                .add(TrainingData.LABEL, DataTypes.IntegerType, false);
        tensorizer.setInputCol(CONTENT);
        return new TrainingData.Loaded(spark.createDataFrame(rows, schema), names, n);
    }

    /** Whether {@code file} or a folder between {@code root} and it starts with '.' or '_' (as Spark's file index skips). */
    private static boolean hidden(org.apache.hadoop.fs.Path root, org.apache.hadoop.fs.Path file) {
        String top = org.apache.hadoop.fs.Path.getPathWithoutSchemeAndAuthority(root).toString();
        for (org.apache.hadoop.fs.Path p = file; p != null && p.depth() > 0; p = p.getParent()) {
            if (org.apache.hadoop.fs.Path.getPathWithoutSchemeAndAuthority(p).toString().equals(top)) {
                return false;
            }
            if (p.getName().startsWith(".") || p.getName().startsWith("_")) {
                return true;
            }
        }
        return false;
    }

    /** The rows {@code (path, content, label)} of one slice, each file read when its row is consumed. */
    private static Iterator<Row> read(List<ImageFile> slice, SerializableConfiguration conf) {
        Iterator<ImageFile> files = slice.iterator();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return files.hasNext();
            }

            @Override
            public Row next() {
                ImageFile f = files.next();
                try {
                    return RowFactory.create(f.uri(), HadoopPaths.resolve(f.uri(), conf.value()).readAllBytes(),
                            f.label());
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read training image " + f.uri(), e);
                }
            }
        };
    }
}
