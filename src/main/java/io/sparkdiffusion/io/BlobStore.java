package io.sparkdiffusion.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A flat directory of named files: what {@link WeightsFormat} reads and writes. The Spark stages back it with a
 * Hadoop FileSystem (local, HDFS, S3); {@link #directory} backs it with a local directory.
 */
public interface BlobStore {

    /** Creates (or overwrites) the file {@code name}. */
    OutputStream create(String name) throws IOException;

    /** Opens the file {@code name}; throws {@link java.io.FileNotFoundException} or an IOException if absent. */
    InputStream open(String name) throws IOException;

    /** Where this store lives, for error messages. */
    String describe();

    /** A store over a local directory, created on the first write. */
    static BlobStore directory(Path dir) {
        return new BlobStore() {
            @Override
            public OutputStream create(String name) throws IOException {
                Files.createDirectories(dir);
                return Files.newOutputStream(dir.resolve(name));
            }

            @Override
            public InputStream open(String name) throws IOException {
                return Files.newInputStream(dir.resolve(name));
            }

            @Override
            public String describe() {
                return dir.toString();
            }
        };
    }
}
