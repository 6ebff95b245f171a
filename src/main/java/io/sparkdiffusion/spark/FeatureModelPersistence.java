package io.sparkdiffusion.spark;

import io.sparkdiffusion.metrics.FeatureMoments;
import io.sparkdiffusion.nn.classifier.FeatureCnnConfig;
import io.sparkdiffusion.io.HadoopBlobStore;
import io.sparkdiffusion.io.WeightsFormat;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Saving and loading a {@link FeatureNetworkModel}: Spark's {@code metadata/} plus {@code data/}:
 * {@code network.properties} (the {@link FeatureCnnConfig}, checked by {@link NetworkProperties}), the weights
 * and reference feature rows in {@link WeightsFormat}, and the reference moments (count, mean, co-moment in double) as one Parquet row in
 * {@code data/reference}, as MLlib saves model data. Nothing is Java-deserialized on load.
 */
final class FeatureModelPersistence {
    static final int FORMAT_VERSION = 1;
    private static final StructType MOMENTS = new StructType()
            .add("count", DataTypes.LongType, false)
            .add("mean", DataTypes.createArrayType(DataTypes.DoubleType, false), false)
            .add("comoment", DataTypes.createArrayType(DataTypes.DoubleType, false), false);

    private FeatureModelPersistence() {
    }

    static final class Writer extends MLWriter {
        private final FeatureNetworkModel model;

        Writer(FeatureNetworkModel model) {
            this.model = model;
        }

        @Override
        public void saveImpl(String path) {
            FeatureCnnConfig c = model.featureCnnConfig();
            DefaultParamsWriter$.MODULE$.saveMetadata(model, path, sparkSession());
            HadoopBlobStore data = new HadoopBlobStore(path + "/data", sparkSession().sparkContext().hadoopConfiguration());
            Properties p = new Properties();
            p.setProperty("imgChannels", Integer.toString(c.imgChannels()));
            p.setProperty("imgResolution", Integer.toString(c.imgResolution()));
            p.setProperty("channels", Integer.toString(c.channels()));
            p.setProperty("featureDim", Integer.toString(c.featureDim()));
            p.setProperty("numClasses", Integer.toString(c.numClasses()));
            p.setProperty("hasReference", Boolean.toString(model.hasReference()));
            Map<String, float[]> arrays = new LinkedHashMap<>();
            arrays.put("weights", model.weights());
            if (model.hasReference()) {
                arrays.put("referenceFeatures", model.referenceFeatures());
            }
            try {
                NetworkProperties.write(data, p, FORMAT_VERSION, "spark-diffusion feature network");
                WeightsFormat.write(data, arrays);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot save the FeatureNetworkModel's data to " + path + "/data", e);
            }
            if (model.hasReference()) {
                FeatureMoments m = model.referenceMoments();
                Row row = RowFactory.create(m.count(), boxed(m.mean()), boxed(m.comoment()));
                sparkSession().createDataFrame(List.of(row), MOMENTS).repartition(1).write().mode("overwrite")
                        .parquet(path + "/data/reference");
            }
        }
    }

    static final class Reader extends MLReader<FeatureNetworkModel> {
        @Override
        public FeatureNetworkModel load(String path) {
            DefaultParamsReader.Metadata metadata = ModelPersistence.loadMetadata(path, sparkSession(),
                    FeatureNetworkModel.class);
            HadoopBlobStore data = new HadoopBlobStore(path + "/data", sparkSession().sparkContext().hadoopConfiguration());
            try {
                Properties p = NetworkProperties.read(data, path, FORMAT_VERSION);
                FeatureCnnConfig config = new FeatureCnnConfig(ModelPersistence.intProp(p, "imgChannels"), ModelPersistence.intProp(p, "imgResolution"),
                        ModelPersistence.intProp(p, "channels"), ModelPersistence.intProp(p, "featureDim"), ModelPersistence.intProp(p, "numClasses"));
                Map<String, float[]> arrays = WeightsFormat.read(data);
                float[] weights = arrays.get("weights");
                if (weights == null) {
                    throw new IOException(path + "/data holds no 'weights' array, only " + arrays.keySet());
                }
                FeatureNetworkModel model = new FeatureNetworkModel(metadata.uid(), config, weights);
                try {
                    metadata.getAndSetParams(model, scala.Option.empty());
                } catch (RuntimeException e) {
                    throw new IOException("its metadata holds an unknown or invalid Param: " + e.getMessage(), e);
                }
                if (Boolean.parseBoolean(p.getProperty("hasReference", "false"))) {
                    Row row = sparkSession().read().parquet(path + "/data/reference").first();
                    FeatureMoments moments = FeatureMoments.of(row.getLong(0), unboxed(row.getList(1)),
                            unboxed(row.getList(2)));
                    model.setReference(moments, arrays.get("referenceFeatures"));
                }
                return model;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load a FeatureNetworkModel from " + path + ": " + e.getMessage(), e);
            }
        }
    }

    private static scala.collection.immutable.ArraySeq<Object> boxed(double[] a) {
        return scala.collection.immutable.ArraySeq.unsafeWrapArray(a);
    }

    private static double[] unboxed(List<Object> list) {
        double[] a = new double[list.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = ((Number) list.get(i)).doubleValue();
        }
        return a;
    }
}
