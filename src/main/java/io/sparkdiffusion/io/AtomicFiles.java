package io.sparkdiffusion.io;

import org.apache.hadoop.fs.Abortable;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;

/**
 * Whole-or-nothing file writes on any Hadoop file system: a reader sees the old file, no file, or the complete
 * new file, never a partial one, even when the writer dies or a Spark task is retried.
 *
 * <ul>
 *   <li><b>File systems with atomic rename</b> (local, HDFS): write {@code .<name>.<uuid>.tmp} in the target's
 *   directory, then rename it onto the target. Hadoop's input formats skip names starting with a dot, so a
 *   leftover temp file of a killed JVM is ignored by readers. If the target already exists (a rerun, or a retried
 *   task) and has the same bytes, the temp file is dropped; if it differs, the target is deleted and the rename
 *   repeated, so the file is briefly absent but never partial.</li>
 *   <li><b>Object stores</b> ({@link HadoopPaths#OBJECT_STORE_SCHEMES}, e.g. S3 via s3a): rename is a copy, so
 *   the content is first built completely in memory, then sent in one {@code create}/{@code close}; S3 makes an
 *   object visible only when its PUT completes, so it appears whole or not at all. If the upload fails, the
 *   stream is aborted (Hadoop's {@link Abortable}) instead of closed, so no partial object is committed. Meant
 *   for files well below s3a's multipart threshold (PNGs, JSON).</li>
 * </ul>
 * A failed write removes its temp file and leaves no target behind (unless an older target was there).
 *
 * <p>{@link #writeDirectory} publishes a whole directory the same way (a hidden temp directory, then one rename).
 */
public final class AtomicFiles {
    /** Writes the content of one file; may throw, in which case nothing is published. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Writes the files of one directory; may throw, in which case nothing is published. */
    @FunctionalInterface
    public interface DirectoryContent {
        void writeInto(HadoopPath dir) throws IOException;
    }

    private static final String TEMP_PREFIX = ".";
    private static final String TEMP_SUFFIX = ".tmp";

    private AtomicFiles() {
    }

    /** Writes {@code bytes} to {@code target} whole or not at all. */
    public static void write(HadoopPath target, byte[] bytes) throws IOException {
        write(target, out -> out.write(bytes));
    }

    /** Writes {@code text} as UTF-8 to {@code target} whole or not at all. */
    public static void writeText(HadoopPath target, String text) throws IOException {
        write(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes what {@code content} produces to {@code target} whole or not at all. */
    public static void write(HadoopPath target, Content content) throws IOException {
        if (HadoopPaths.isObjectStore(target)) {
            writeObject(target, content);
        } else {
            writeViaRename(target, content);
        }
    }

    /**
     * Publishes the directory {@code content} writes: into a hidden temp directory {@code .<name>.<uuid>.tmp}
     * beside {@code target}, then renamed onto it; an existing {@code target} is deleted first (the new content
     * replaces it). Whole or not at all where rename is atomic (local, HDFS); on an object store the rename is a
     * copy, so readers of such a directory must verify what they read (checkpoints carry checksums for that).
     * A failed write removes its temp directory.
     */
    public static void writeDirectory(HadoopPath target, DirectoryContent content) throws IOException {
        FileSystem fs = target.fs();
        Path dest = target.path();
        Path temp = new Path(dest.getParent(), TEMP_PREFIX + dest.getName() + "." + UUID.randomUUID() + TEMP_SUFFIX);
        boolean published = false;
        try {
            content.writeInto(new HadoopPath(fs, temp));
            if (fs.exists(dest)) {
                // A rerun reaches this target again: the new content replaces the old.
                fs.delete(dest, true);
            }
            if (!fs.rename(temp, dest)) {
                throw new IOException("renaming " + temp + " to " + dest + " failed");
            }
            published = true;
        } finally {
            if (!published) {
                deleteQuietly(fs, temp, true);
            }
        }
    }

    /** True when {@code name} is a temp file of this class (for tests and cleanup). */
    public static boolean isTempName(String name) {
        return name.startsWith(TEMP_PREFIX) && name.endsWith(TEMP_SUFFIX);
    }

    private static void writeObject(HadoopPath target, Content content) throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        content.writeTo(buffer);
        byte[] bytes = buffer.toByteArray();
        FSDataOutputStream out = target.fs().create(target.path(), true);
        try {
            out.write(bytes);
        } catch (IOException | RuntimeException e) {
            abortQuietly(out, e);
            throw e;
        }
        out.close();
    }

    private static void abortQuietly(FSDataOutputStream out, Exception cause) {
        try {
            out.abort();
        } catch (UnsupportedOperationException e) {
            cause.addSuppressed(e);
        }
    }

    private static void writeViaRename(HadoopPath target, Content content) throws IOException {
        FileSystem fs = target.fs();
        Path dest = target.path();
        Path parent = dest.getParent();
        // A random temp name: two attempts of one task (speculation, retries) on different hosts must not collide.
        // It never reaches the published bytes.
        Path temp = new Path(parent, TEMP_PREFIX + dest.getName() + "." + UUID.randomUUID() + TEMP_SUFFIX);
        boolean published = false;
        try {
            if (parent != null && !fs.exists(parent) && !fs.mkdirs(parent)) {
                throw new IOException("cannot create directory " + parent);
            }
            try (FSDataOutputStream out = fs.create(temp, false)) {
                content.writeTo(out);
            }
            publish(fs, temp, dest);
            published = true;
        } finally {
            if (!published) {
                deleteQuietly(fs, temp, false);
            }
        }
    }

    private static void publish(FileSystem fs, Path temp, Path dest) throws IOException {
        if (fs.rename(temp, dest)) {
            return;
        }
        if (!fs.exists(dest)) {
            throw new IOException("renaming " + temp + " to " + dest + " failed");
        }
        // HDFS does not rename onto an existing file. Same bytes: a rerun or retried task already published it.
        if (sameBytes(fs, temp, dest)) {
            fs.delete(temp, false);
            return;
        }
        if (!fs.delete(dest, false) || !fs.rename(temp, dest)) {
            throw new IOException("replacing " + dest + " with " + temp + " failed");
        }
    }

    private static boolean sameBytes(FileSystem fs, Path a, Path b) throws IOException {
        if (fs.getFileStatus(a).getLen() != fs.getFileStatus(b).getLen()) {
            return false;
        }
        try (var inA = fs.open(a); var inB = fs.open(b)) {
            return Arrays.equals(inA.readAllBytes(), inB.readAllBytes());
        }
    }

    private static void deleteQuietly(FileSystem fs, Path temp, boolean recursive) {
        try {
            fs.delete(temp, recursive);
        } catch (IOException e) {
            // The write already failed with the exception that matters; a dot-file left behind is ignored by readers.
        }
    }
}
