package io.sparkdiffusion.io;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Reads and writes IDX files (the MNIST format: LeCun et al.), gzipped or not.
 *
 * <p>Layout, big-endian: magic {@code 0x00 0x00 type rank}, then {@code rank} 32-bit dimensions, then the
 * data row-major. Only type {@code 0x08} (unsigned byte) is supported, which is what image and label files use.
 * A gzipped file is recognised by its first two bytes ({@code 0x1f 0x8b}), not by its name.
 */
public final class Idx {
    /** The IDX type code of unsigned bytes. */
    public static final int UNSIGNED_BYTE = 0x08;

    private Idx() {
    }

    /** Reads an IDX file from the local file system; {@code name} in errors is the path. */
    public static IdxArray read(Path path) throws IOException {
        if (!Files.isRegularFile(path)) {
            throw new NoSuchFileException(path.toString(), null, "no such IDX file");
        }
        try (InputStream in = Files.newInputStream(path)) {
            return read(in, path.toString());
        }
    }

    /**
     * Reads one IDX array from {@code in} (gzipped or not) and checks that nothing follows it.
     *
     * @param name what to call the input in error messages (a path or URI)
     * @throws IOException with {@code name} and the problem for a bad magic number, an unsupported type,
     *                     a truncated file or trailing bytes
     */
    public static IdxArray read(InputStream in, String name) throws IOException {
        InputStream body = body(in);
        int[] dims = header(body, name);
        long size = 1;
        for (int d : dims) {
            size *= d;
        }
        if (size > Integer.MAX_VALUE - 8) {
            throw new IOException(name + ": IDX dims " + Arrays.toString(dims) + " hold " + size
                    + " bytes, more than one Java array can");
        }
        byte[] data = readFully(body, (int) size, name, "the data of dims " + Arrays.toString(dims));
        if (body.read() != -1) {
            throw new IOException(name + ": bytes follow the " + size + " data bytes of dims "
                    + Arrays.toString(dims) + "; the header does not match the file");
        }
        return new IdxArray(dims, data);
    }

    /**
     * Reads items {@code [from, to)} of an IDX file (an item is one entry of the first dimension: an image of an
     * {@code [N, H, W]} file, a label of an {@code [N]} file), skipping the bytes before them, and stops there: a
     * task reads its own slice, not the file. Only a slice that ends at the last item checks that nothing follows.
     *
     * @return the slice, with dims {@code [to - from, ...]}
     * @throws IOException naming {@code name} for a bad header, a range outside {@code [0, N]} or a truncated file
     */
    public static IdxArray readSlice(InputStream in, String name, int from, int to) throws IOException {
        InputStream body = body(in);
        int[] dims = header(body, name);
        if (from < 0 || to < from || to > dims[0]) {
            throw new IOException(name + ": items [" + from + ", " + to + ") are outside the file's " + dims[0]);
        }
        long itemSize = 1;
        for (int i = 1; i < dims.length; i++) {
            itemSize *= dims[i];
        }
        if ((to - from) * itemSize > Integer.MAX_VALUE - 8) {
            throw new IOException(name + ": items [" + from + ", " + to + ") of " + itemSize + " bytes are more than one"
                    + " Java array holds: use more partitions");
        }
        try {
            body.skipNBytes(from * itemSize);
        } catch (EOFException e) {
            throw new IOException(name + ": truncated IDX file: it ends before item " + from, e);
        }
        byte[] data = readFully(body, (int) ((to - from) * itemSize), name, "items [" + from + ", " + to + ")");
        if (to == dims[0] && body.read() != -1) {
            throw new IOException(name + ": bytes follow the data of dims " + Arrays.toString(dims)
                    + "; the header does not match the file");
        }
        int[] sliceDims = dims.clone();
        sliceDims[0] = to - from;
        return new IdxArray(sliceDims, data);
    }

    /** The dims in the header of an IDX file (gzipped or not); reads nothing past the header. */
    public static int[] readDims(InputStream in, String name) throws IOException {
        return header(body(in), name);
    }

    /**
     * {@code in} unzipped when it starts with a gzip header; no read-ahead on a plain file (a task that reads a
     * slice fetches those bytes only).
     */
    private static InputStream body(InputStream in) throws IOException {
        // Pushback, not a buffered stream: skipping then reaches the file's own skip (a seek), not a read.
        java.io.PushbackInputStream whole = new java.io.PushbackInputStream(in, 2);
        byte[] start = whole.readNBytes(2);
        whole.unread(start);
        boolean gzip = start.length == 2 && (start[0] & 0xFF) == 0x1f && (start[1] & 0xFF) == 0x8b;
        return gzip ? new BufferedInputStream(new GZIPInputStream(whole)) : whole;
    }

    /** Reads and checks the magic number and the dims; {@code body} is then at the first data byte. */
    private static int[] header(InputStream body, String name) throws IOException {
        byte[] magic = readFully(body, 4, name, "the 4-byte magic number");
        if (magic[0] != 0 || magic[1] != 0) {
            throw new IOException(name + ": not an IDX file: magic number starts with 0x"
                    + hex(magic[0]) + hex(magic[1]) + ", expected 0x0000 (or a gzip header 0x1f8b)");
        }
        int type = magic[2] & 0xFF;
        int rank = magic[3] & 0xFF;
        if (type != UNSIGNED_BYTE) {
            throw new IOException(name + ": IDX data type 0x" + hex(magic[2]) + " is not supported; expected 0x08 (unsigned byte)");
        }
        if (rank == 0) {
            throw new IOException(name + ": IDX rank is 0; expected at least 1 dimension");
        }
        byte[] header = readFully(body, 4 * rank, name, "the " + rank + " dimensions");
        int[] dims = new int[rank];
        for (int i = 0; i < rank; i++) {
            dims[i] = ((header[4 * i] & 0xFF) << 24) | ((header[4 * i + 1] & 0xFF) << 16)
                    | ((header[4 * i + 2] & 0xFF) << 8) | (header[4 * i + 3] & 0xFF);
            if (dims[i] <= 0) {
                throw new IOException(name + ": IDX dimension " + i + " is " + Integer.toUnsignedString(dims[i])
                        + "; dimensions must be in 1.." + Integer.MAX_VALUE);
            }
        }
        return dims;
    }

    /**
     * Reads an image file {@code [N, H, W]} and its label file {@code [N]} and checks that they belong
     * together (same N, rank 3 and rank 1).
     */
    public static LabeledImages readLabeled(InputStream images, String imagesName, InputStream labels,
                                            String labelsName) throws IOException {
        return LabeledImages.of(read(images, imagesName), imagesName, read(labels, labelsName), labelsName);
    }

    /** Writes {@code array} as IDX, gzipped when {@code gzip} (mtime 0, no file name: same bytes every time). */
    public static void write(IdxArray array, OutputStream out, boolean gzip) throws IOException {
        OutputStream target = gzip ? new GZIPOutputStream(out) : out;
        DataOutputStream data = new DataOutputStream(target);
        int[] dims = array.dims();
        data.writeByte(0);
        data.writeByte(0);
        data.writeByte(UNSIGNED_BYTE);
        data.writeByte(dims.length);
        for (int d : dims) {
            data.writeInt(d);
        }
        data.write(array.data());
        data.flush();
        if (target instanceof GZIPOutputStream g) {
            g.finish();
        }
    }

    /** {@link #write(IdxArray, OutputStream, boolean)} into a fresh byte array. */
    public static byte[] toBytes(IdxArray array, boolean gzip) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            write(array, out, gzip);
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory cannot fail", e);
        }
        return out.toByteArray();
    }

    private static byte[] readFully(InputStream in, int n, String name, String what) throws IOException {
        byte[] buf = new byte[n];
        int done = 0;
        try {
            while (done < n) {
                int r = in.read(buf, done, n - done);
                if (r < 0) {
                    break;
                }
                done += r;
            }
        } catch (EOFException e) {
            // GZIPInputStream reports a cut-off stream this way; fall through to the truncation message.
        }
        if (done < n) {
            throw new IOException(name + ": truncated IDX file: expected " + n + " bytes of " + what + ", got " + done);
        }
        return buf;
    }

    private static String hex(byte b) {
        return String.format("%02x", b & 0xFF);
    }
}
