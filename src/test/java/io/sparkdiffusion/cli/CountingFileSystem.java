package io.sparkdiffusion.cli;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The local disk under the scheme {@code countfs://}, counting per file how often it is opened and how many bytes
 * are read from it (skipped bytes are seeks, not reads). Register it with {@link #register}; in an embedded Spark
 * the tasks run in this JVM, so the counts cover the driver and every task.
 */
public final class CountingFileSystem extends RawLocalFileSystem {
    static final String SCHEME = "countfs";
    static final Map<String, AtomicLong> OPENS = new ConcurrentHashMap<>();
    static final Map<String, AtomicLong> BYTES = new ConcurrentHashMap<>();

    static void register(Configuration conf) {
        conf.set("fs." + SCHEME + ".impl", CountingFileSystem.class.getName());
        conf.setBoolean("fs." + SCHEME + ".impl.disable.cache", true);
    }

    static void reset() {
        OPENS.clear();
        BYTES.clear();
    }

    /** {@code countfs://} + the absolute local path. */
    static String uri(java.nio.file.Path local) {
        return SCHEME + "://" + local.toAbsolutePath();
    }

    static long opens(java.nio.file.Path local) {
        AtomicLong n = OPENS.get(local.toAbsolutePath().toString());
        return n == null ? 0 : n.get();
    }

    static long bytes(java.nio.file.Path local) {
        AtomicLong n = BYTES.get(local.toAbsolutePath().toString());
        return n == null ? 0 : n.get();
    }

    @Override
    public URI getUri() {
        return URI.create(SCHEME + ":///");
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }

    /** Plain statuses: Hadoop's local ones load permissions through a java.io.File of the (countfs) URI. */
    @Override
    public FileStatus[] listStatus(Path f) throws IOException {
        FileStatus[] all = super.listStatus(f);
        FileStatus[] out = new FileStatus[all.length];
        for (int i = 0; i < all.length; i++) {
            out[i] = plain(all[i]);
        }
        return out;
    }

    @Override
    public FileStatus getFileStatus(Path f) throws IOException {
        return plain(super.getFileStatus(f));
    }

    private static FileStatus plain(FileStatus s) {
        return new FileStatus(s.getLen(), s.isDirectory(), 1, s.getBlockSize(), s.getModificationTime(), s.getPath());
    }

    @Override
    public FSDataInputStream open(Path f, int bufferSize) throws IOException {
        String key = f.toUri().getPath();
        FSDataInputStream inner = super.open(f, bufferSize);
        OPENS.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
        AtomicLong bytes = BYTES.computeIfAbsent(key, k -> new AtomicLong());
        return new FSDataInputStream(new FSInputStream() {
            @Override
            public int read() throws IOException {
                int b = inner.read();
                if (b >= 0) {
                    bytes.incrementAndGet();
                }
                return b;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                int n = inner.read(buf, off, len);
                if (n > 0) {
                    bytes.addAndGet(n);
                }
                return n;
            }

            @Override
            public long skip(long n) throws IOException {
                long target = Math.min(inner.getPos() + n, getFileStatus(f).getLen());
                long skipped = target - inner.getPos();
                inner.seek(target);
                return skipped;
            }

            @Override
            public void seek(long pos) throws IOException {
                inner.seek(pos);
            }

            @Override
            public long getPos() throws IOException {
                return inner.getPos();
            }

            @Override
            public boolean seekToNewSource(long targetPos) {
                return false;
            }

            @Override
            public void close() throws IOException {
                inner.close();
            }
        });
    }
}
