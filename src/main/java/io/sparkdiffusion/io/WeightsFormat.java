package io.sparkdiffusion.io;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Named float arrays on disk: raw little-endian float32 chunk files plus a text manifest that gives each chunk's
 * length and SHA-256. Nothing is ever Java-deserialized, so loading untrusted files can only fail, not execute.
 *
 * <p>Layout of a weights directory:
 * <pre>
 *   manifest.txt            format spark-diffusion-weights
 *                           version 1
 *                           array &lt;name&gt; &lt;length&gt; &lt;numChunks&gt;
 *                           chunk &lt;name&gt; &lt;index&gt; &lt;floats&gt; &lt;sha256 hex&gt;     (one line per chunk)
 *   &lt;name&gt;-&lt;index&gt;.bin     the chunk's floats, little-endian, 4 bytes each
 * </pre>
 * A chunk holds at most {@link #DEFAULT_CHUNK_FLOATS} floats (64 MiB), far from Java's 2 GiB array limit.
 * Loading refuses, naming the file: a manifest of another format, a newer format version, a missing, short,
 * long or altered chunk.
 */
public final class WeightsFormat {

    public static final String FORMAT_NAME = "spark-diffusion-weights";
    public static final int VERSION = 1;
    public static final int DEFAULT_CHUNK_FLOATS = 1 << 24;
    static final String MANIFEST = "manifest.txt";
    private static final int IO_FLOATS = 1 << 16;

    private WeightsFormat() {
    }

    /** Writes the arrays in the default chunk size. Array names are [A-Za-z0-9_]+. */
    public static void write(BlobStore store, Map<String, float[]> arrays) throws IOException {
        write(store, arrays, DEFAULT_CHUNK_FLOATS);
    }

    /** Writes the arrays in chunks of at most {@code chunkFloats} floats. */
    public static void write(BlobStore store, Map<String, float[]> arrays, int chunkFloats) throws IOException {
        if (chunkFloats < 1) {
            throw new IllegalArgumentException("chunkFloats must be >= 1, got " + chunkFloats);
        }
        StringBuilder manifest = new StringBuilder();
        manifest.append("format ").append(FORMAT_NAME).append('\n').append("version ").append(VERSION).append('\n');
        for (Map.Entry<String, float[]> e : arrays.entrySet()) {
            String name = e.getKey();
            if (!name.matches("[A-Za-z0-9_]+")) {
                throw new IllegalArgumentException("array names must match [A-Za-z0-9_]+, got '" + name + "'");
            }
            float[] a = e.getValue();
            int numChunks = Math.max(1, (a.length + chunkFloats - 1) / chunkFloats);
            manifest.append("array ").append(name).append(' ').append(a.length).append(' ').append(numChunks).append('\n');
            for (int c = 0; c < numChunks; c++) {
                int from = c * chunkFloats;
                int to = Math.min(a.length, from + chunkFloats);
                String digest = writeChunk(store, chunkFile(name, c), a, from, to);
                manifest.append("chunk ").append(name).append(' ').append(c).append(' ').append(to - from).append(' ')
                        .append(digest).append('\n');
            }
        }
        // The manifest goes last: a directory whose writer died midway has no manifest and is refused as such.
        try (Writer w = new OutputStreamWriter(store.create(MANIFEST), StandardCharsets.UTF_8)) {
            w.write(manifest.toString());
        }
    }

    /** Reads every array, verifying lengths and checksums, in manifest order. */
    public static Map<String, float[]> read(BlobStore store) throws IOException {
        List<String> lines = readManifest(store);
        String where = store.describe();
        expectLine(lines, 0, "format " + FORMAT_NAME, where + " is not a " + FORMAT_NAME + " directory");
        String[] version = lines.size() > 1 ? lines.get(1).split(" ") : new String[0];
        if (version.length != 2 || !version[0].equals("version")) {
            throw new IOException("corrupt weights manifest in " + where + ": line 2 must be 'version <n>'");
        }
        int v = parseInt(version[1], where);
        if (v > VERSION) {
            throw new IOException("weights in " + where + " were written by a newer format version " + v
                    + "; this build of spark-diffusion reads versions up to " + VERSION + ": upgrade spark-diffusion");
        }
        Map<String, float[]> arrays = new LinkedHashMap<>();
        int i = 2;
        while (i < lines.size()) {
            String[] a = lines.get(i++).split(" ");
            if (a.length != 4 || !a[0].equals("array")) {
                throw new IOException("corrupt weights manifest in " + where + ": expected an 'array' line, got '"
                        + String.join(" ", a) + "'");
            }
            String name = a[1];
            float[] out = new float[parseInt(a[2], where)];
            int numChunks = parseInt(a[3], where);
            int filled = 0;
            for (int c = 0; c < numChunks; c++, i++) {
                String[] ch = i < lines.size() ? lines.get(i).split(" ") : new String[0];
                if (ch.length != 5 || !ch[0].equals("chunk") || !ch[1].equals(name) || parseInt(ch[2], where) != c) {
                    throw new IOException("corrupt weights manifest in " + where + ": expected chunk " + c + " of '"
                            + name + "'");
                }
                int floats = parseInt(ch[3], where);
                if (floats < 0 || filled + floats > out.length) {
                    throw new IOException("corrupt weights manifest in " + where + ": chunks of '" + name
                            + "' exceed its length " + out.length);
                }
                readChunk(store, chunkFile(name, c), out, filled, floats, ch[4]);
                filled += floats;
            }
            if (filled != out.length) {
                throw new IOException("corrupt weights manifest in " + where + ": chunks of '" + name + "' hold "
                        + filled + " floats, expected " + out.length);
            }
            arrays.put(name, out);
        }
        return arrays;
    }

    static String chunkFile(String name, int index) {
        return String.format("%s-%05d.bin", name, index);
    }

    private static String writeChunk(BlobStore store, String file, float[] a, int from, int to) throws IOException {
        MessageDigest sha = sha256();
        ByteBuffer buf = ByteBuffer.allocate(4 * IO_FLOATS).order(ByteOrder.LITTLE_ENDIAN);
        try (OutputStream out = store.create(file)) {
            for (int i = from; i < to; ) {
                buf.clear();
                int n = Math.min(IO_FLOATS, to - i);
                buf.asFloatBuffer().put(a, i, n);
                sha.update(buf.array(), 0, 4 * n);
                out.write(buf.array(), 0, 4 * n);
                i += n;
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static void readChunk(BlobStore store, String file, float[] out, int offset, int floats, String expectedSha)
            throws IOException {
        MessageDigest sha = sha256();
        ByteBuffer buf = ByteBuffer.allocate(4 * IO_FLOATS).order(ByteOrder.LITTLE_ENDIAN);
        long expectedBytes = 4L * floats;
        long got = 0;
        try (InputStream in = store.open(file)) {
            int pos = offset;
            while (got < expectedBytes) {
                int want = (int) Math.min(buf.capacity(), expectedBytes - got);
                int n = in.readNBytes(buf.array(), 0, want);
                if (n < want) {
                    throw new IOException("weights chunk " + file + " in " + store.describe() + " is truncated: expected "
                            + expectedBytes + " bytes, got " + (got + n));
                }
                sha.update(buf.array(), 0, n);
                buf.clear();
                buf.limit(n);
                buf.asFloatBuffer().get(out, pos, n / 4);
                pos += n / 4;
                got += n;
            }
            if (in.read() != -1) {
                throw new IOException("weights chunk " + file + " in " + store.describe() + " is longer than the "
                        + expectedBytes + " bytes its manifest gives");
            }
        }
        String actual = HexFormat.of().formatHex(sha.digest());
        if (!actual.equals(expectedSha)) {
            throw new IOException("weights chunk " + file + " in " + store.describe()
                    + " fails its SHA-256 check (expected " + expectedSha + ", got " + actual + "): the file is corrupt");
        }
    }

    private static List<String> readManifest(BlobStore store) throws IOException {
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(store.open(MANIFEST), StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (!line.isBlank()) {
                    lines.add(line.strip());
                }
            }
        } catch (java.io.FileNotFoundException | java.nio.file.NoSuchFileException e) {
            throw new IOException("no weights in " + store.describe() + ": " + MANIFEST
                    + " is missing (not a weights directory, or its writer did not finish)", e);
        }
        return lines;
    }

    private static void expectLine(List<String> lines, int i, String expected, String message) throws IOException {
        if (lines.size() <= i || !lines.get(i).equals(expected)) {
            throw new IOException(message + " (expected '" + expected + "' on line " + (i + 1) + ")");
        }
    }

    private static int parseInt(String s, String where) throws IOException {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IOException("corrupt weights manifest in " + where + ": '" + s + "' is not an integer", e);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM lacks SHA-256, which every Java platform must provide", e);
        }
    }
}
