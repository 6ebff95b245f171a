package io.sparkdiffusion.io;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.util.Locale;
import java.util.Set;

/**
 * One way to name files on any Hadoop file system: {@code file:///...}, {@code hdfs://nn/...},
 * {@code s3a://bucket/...}, or a path without a scheme, which is resolved against {@code fs.defaultFS}
 * (the local working directory in an embedded run, usually HDFS on a cluster).
 */
public final class HadoopPaths {
    /**
     * Schemes of object stores where an object appears whole when its single PUT completes and where rename is
     * a copy, not an atomic operation: {@link AtomicFiles} writes these directly instead of via a temp file.
     */
    public static final Set<String> OBJECT_STORE_SCHEMES = Set.of("s3a", "s3", "s3n", "gs", "oss", "cosn");

    private HadoopPaths() {
    }

    /**
     * Resolves {@code uri} to its file system and qualified path.
     *
     * @throws IOException naming the URI when no file system serves its scheme (e.g. {@code s3a} without the
     *                     hadoop-aws jar on the class path)
     */
    public static HadoopPath resolve(String uri, Configuration conf) throws IOException {
        if (uri == null || uri.isBlank()) {
            throw new IllegalArgumentException("a path or URI is required, got " + (uri == null ? "null" : "\"\""));
        }
        Path path = new Path(uri);
        FileSystem fs;
        try {
            fs = path.getFileSystem(conf);
        } catch (IOException e) {
            throw new IOException("cannot open a file system for " + uri + ": " + e.getMessage(), e);
        }
        if (fs instanceof LocalFileSystem local) {
            // The checksummed local file system would leave a .crc beside every output file.
            fs = local.getRawFileSystem();
        }
        return new HadoopPath(fs, fs.makeQualified(path));
    }

    /** True when {@code path} lives on an object store (see {@link #OBJECT_STORE_SCHEMES}). */
    public static boolean isObjectStore(HadoopPath path) {
        String scheme = path.scheme();
        return scheme != null && OBJECT_STORE_SCHEMES.contains(scheme.toLowerCase(Locale.ROOT));
    }
}
