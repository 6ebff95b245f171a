package io.sparkdiffusion.cli;

import io.sparkdiffusion.io.HadoopPath;
import io.sparkdiffusion.io.HadoopPaths;
import io.sparkdiffusion.spark.DiffusionModel;
import io.sparkdiffusion.spark.SparkTestBase;
import io.sparkdiffusion.tensor.Shape;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.util.SerializableConfiguration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Point 6 of the fault issue: a model and sample PNGs written to a real HDFS (a MiniDFSCluster in this JVM) and to
 * S3 through {@code s3a://} (hadoop-aws against s3proxy, an S3-compatible server started by the test in its own
 * JVM from {@code target/s3proxy/s3proxy.jar}), read back and compared with the same writes to the local disk.
 */
class RealStorageTest extends SparkTestBase {
    private static final int SIZE = 8;
    private static final String BUCKET = "spark-diffusion-test";
    private static final String ACCESS_KEY = "faults-access";
    private static final String SECRET_KEY = "faults-secret";
    private static final long S3PROXY_START_SECONDS = 120;

    @TempDir
    static Path temp;
    private static MiniDFSCluster hdfs;
    private static Process s3proxy;
    private static int s3Port;
    private static DiffusionModel model;

    @BeforeAll
    static void startStorage() throws Exception {
        s3proxy = startS3Proxy(temp.resolve("s3"));
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, temp.resolve("hdfs").toString());
        hdfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        hdfs.waitActive();
        model = SampleFilesRetryTest.tinyModel().setNumSteps(3);
        awaitPort(s3Port, s3proxy, temp.resolve("s3proxy.log"));
        Configuration h = spark().sparkContext().hadoopConfiguration();
        // Per-bucket settings: the shared session's other tests never see them.
        String b = "fs.s3a.bucket." + BUCKET + ".";
        h.set(b + "endpoint", "http://127.0.0.1:" + s3Port);
        h.set(b + "endpoint.region", "us-east-1");
        h.set(b + "path.style.access", "true");
        h.set(b + "connection.ssl.enabled", "false");
        h.set(b + "access.key", ACCESS_KEY);
        h.set(b + "secret.key", SECRET_KEY);
        h.set(b + "aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
        h.set(b + "change.detection.mode", "none");
        // s3proxy does not implement the checksum header the SDK puts on bulk deletes: delete one by one.
        h.set(b + "multiobjectdelete.enable", "false");
        h.set(b + "retry.limit", "2");
    }

    @AfterAll
    static void stopStorage() throws InterruptedException {
        if (hdfs != null) {
            hdfs.shutdown();
        }
        if (s3proxy != null) {
            s3proxy.destroy();
            s3proxy.waitFor(20, TimeUnit.SECONDS);
            s3proxy.destroyForcibly();
        }
    }

    @Test
    void modelAndSamplesRoundTripThroughHdfs() throws IOException {
        roundTrip("hdfs://localhost:" + hdfs.getNameNodePort() + "/runs/tiny");
    }

    @Test
    void modelAndSamplesRoundTripThroughS3a() throws IOException {
        roundTrip("s3a://" + BUCKET + "/runs/tiny");
    }

    /** Saves the model and 6 samples under {@code base} and on the local disk, reads both back, compares. */
    private static void roundTrip(String base) throws IOException {
        Configuration h = spark().sparkContext().hadoopConfiguration();
        model.write().save(base + "/model");
        DiffusionModel loaded = DiffusionModel.load(base + "/model");
        assertArrayEquals(model.weights(), loaded.weights());
        assertArrayEquals(model.emaWeights(), loaded.emaWeights());
        assertEquals(model.networkConfig(), loaded.networkConfig());

        Dataset<Row> seeds = spark().range(0, 6, 1, 2).withColumnRenamed("id", "seed");
        Dataset<Row> samples = loaded.transform(seeds).persist();
        SerializableConfiguration conf = new SerializableConfiguration(h);
        Shape shape = Shape.of(1, SIZE, SIZE);
        String local = temp.resolve("local-" + Math.abs(base.hashCode())).toUri().toString();
        try {
            SampleFiles.writeAll(samples, "seed", "sample", shape, base + "/samples", conf);
            SampleFiles.writeAll(samples, "seed", "sample", shape, local, conf);
        } finally {
            samples.unpersist();
        }
        TreeMap<String, byte[]> remote = readAll(base + "/samples", h);
        TreeMap<String, byte[]> disk = readAll(local, h);
        assertEquals(6, disk.size());
        assertEquals(disk.keySet(), remote.keySet(), "one file per seed, nothing else");
        for (String name : disk.keySet()) {
            assertArrayEquals(disk.get(name), remote.get(name), name);
        }
    }

    private static TreeMap<String, byte[]> readAll(String dir, Configuration conf) throws IOException {
        HadoopPath d = HadoopPaths.resolve(dir, conf);
        FileSystem fs = d.fs();
        TreeMap<String, byte[]> out = new TreeMap<>();
        for (FileStatus s : fs.listStatus(d.path())) {
            out.put(s.getPath().getName(), d.child(s.getPath().getName()).readAllBytes());
        }
        return out;
    }

    /** Starts s3proxy with a file-system backend in {@code dir} (the bucket is a subdirectory) on a free port. */
    private static Process startS3Proxy(Path dir) throws IOException {
        Path jar = Path.of("target", "s3proxy", "s3proxy.jar");
        if (!Files.isRegularFile(jar)) {
            fail(jar + " is missing: the build copies it there (maven-dependency-plugin, generate-test-resources)");
        }
        Files.createDirectories(dir.resolve("data").resolve(BUCKET));
        try (ServerSocket s = new ServerSocket(0)) {
            s3Port = s.getLocalPort();
        }
        Path props = dir.resolve("s3proxy.properties");
        Files.writeString(props, String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + s3Port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ACCESS_KEY,
                "s3proxy.credential=" + SECRET_KEY,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + dir.resolve("data")), StandardCharsets.UTF_8);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-jar", jar.toAbsolutePath().toString(), "--properties", props.toString()));
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(temp.resolve("s3proxy.log").toFile()).directory(new File(".")).start();
    }

    private static void awaitPort(int port, Process p, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(S3PROXY_START_SECONDS);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                fail("s3proxy exited with " + p.exitValue() + ":\n" + Files.readString(log));
            }
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        fail("s3proxy did not listen on port " + port + " within " + S3PROXY_START_SECONDS + " s:\n"
                + Files.readString(log));
    }
}
