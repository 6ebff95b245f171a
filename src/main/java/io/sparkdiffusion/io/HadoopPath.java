package io.sparkdiffusion.io;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;

/**
 * A fully qualified path together with the Hadoop {@link FileSystem} that serves it.
 *
 * @param fs   the file system of {@code path}'s scheme ({@code file} is Hadoop's raw local file system, which
 *             writes no {@code .crc} side files)
 * @param path qualified: it has a scheme and an authority where the file system needs one
 */
public record HadoopPath(FileSystem fs, Path path) {

    /** The child {@code name} of this directory path. */
    public HadoopPath child(String name) {
        return new HadoopPath(fs, new Path(path, name));
    }

    public boolean exists() throws IOException {
        return fs.exists(path);
    }

    /** The scheme of the path, e.g. {@code file}, {@code hdfs}, {@code s3a}. */
    public String scheme() {
        return path.toUri().getScheme();
    }

    /** Opens the file; a missing file is a {@link FileNotFoundException} naming the URI. */
    public InputStream open() throws IOException {
        try {
            return fs.open(path);
        } catch (FileNotFoundException e) {
            throw new FileNotFoundException("no such file: " + path);
        }
    }

    /** The whole file (meant for small files: configs, metadata, PNGs). */
    public byte[] readAllBytes() throws IOException {
        try (InputStream in = open()) {
            return in.readAllBytes();
        }
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
