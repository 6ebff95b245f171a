package io.sparkdiffusion.spark;

import io.sparkdiffusion.io.HadoopBlobStore;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Properties;
import java.util.TreeSet;

/**
 * {@code data/network.properties} of a saved model (a {@link DiffusionModel} or a {@link FeatureNetworkModel}): the
 * network it was trained as, plus {@value #CHECKSUM_KEY}, the SHA-256 of the other entries. The weights have their
 * own SHA-256 per chunk ({@link io.sparkdiffusion.io.WeightsFormat}); this covers the text that says which network
 * they belong to, where a changed digit (a label scale of 3.1 for 1.0, a dropout of 0.5 for 0.0) would otherwise
 * load as another valid network that samples differently. Copies made without Hadoop's {@code .crc} side files (an
 * object store, {@code aws s3 cp}, {@code rsync}) keep the check.
 *
 * <p>The digest is over the entries other than the checksum, one {@code key=value\n} line each in key order, UTF-8:
 * independent of the file's comment, timestamp and line order. Models saved before the checksum have none and load
 * as they did.
 */
public final class NetworkProperties {
    static final String FILE = "network.properties";
    public static final String CHECKSUM_KEY = "entriesSha256";
    static final String VERSION_KEY = "formatVersion";

    private NetworkProperties() {
    }

    /**
     * Writes {@code entries}, {@value #VERSION_KEY} and their checksum to {@code data/network.properties};
     * {@code entries} is not changed.
     */
    static void write(HadoopBlobStore data, Properties entries, int formatVersion, String comment) throws IOException {
        if (entries.containsKey(CHECKSUM_KEY) || entries.containsKey(VERSION_KEY)) {
            throw new IllegalArgumentException(CHECKSUM_KEY + " and " + VERSION_KEY + " are written by NetworkProperties,"
                    + " not given");
        }
        Properties p = new Properties();
        p.putAll(entries);
        p.setProperty(VERSION_KEY, Integer.toString(formatVersion));
        p.setProperty(CHECKSUM_KEY, checksum(p));
        try (OutputStream out = data.create(FILE)) {
            p.store(out, comment);
        }
    }

    /**
     * Reads {@code data/network.properties}, checks its {@value #VERSION_KEY} (a newer format than this build reads
     * asks for an upgrade, whatever else the file holds), then its entries against their checksum when the file has
     * one.
     *
     * @param path       the model's path, for the error
     * @param maxVersion the newest format version this build reads
     * @throws IOException if the file cannot be read, is of another format version or changed after it was written
     */
    static Properties read(HadoopBlobStore data, String path, int maxVersion) throws IOException {
        Properties p = new Properties();
        try (InputStream in = data.open(FILE)) {
            p.load(in);
        }
        String v = p.getProperty(VERSION_KEY, "");
        int version;
        try {
            version = Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            version = -1;
        }
        if (version > maxVersion) {
            throw new IOException("the model in " + path + " was written by a newer format version " + version
                    + "; this build of spark-diffusion reads versions up to " + maxVersion + ": upgrade spark-diffusion");
        }
        if (version < 1) {
            throw new IOException(path + "/data/" + FILE + " has no valid " + VERSION_KEY + " (" + (v.isEmpty()
                    ? "none" : "'" + v + "'") + "; expected an integer in [1, " + maxVersion + "])");
        }
        Checksum sum = Checksum.of(p);
        if (sum.saved() != null && !sum.matches()) {
            throw new IOException(path + "/data/" + FILE + " was changed after it was saved: its entries' SHA-256"
                    + " is " + sum.actual() + ", its " + CHECKSUM_KEY + " says " + sum.saved() + " (a network other"
                    + " than the one the weights were trained as would load); restore the file from the original model");
        }
        return p;
    }

    /**
     * The SHA-256 of a {@code network.properties}' entries as they are and as they were saved.
     *
     * @param actual the SHA-256 (hex) of the entries other than {@value #CHECKSUM_KEY}
     * @param saved  its {@value #CHECKSUM_KEY}, stripped, or null for a model saved before the checksum
     */
    public record Checksum(String actual, String saved) {
        /** The checksum of {@code entries} (a loaded {@code network.properties}). */
        public static Checksum of(Properties entries) {
            String saved = entries.getProperty(CHECKSUM_KEY);
            return new Checksum(checksum(entries), saved == null ? null : saved.strip());
        }

        /** Whether the file has a checksum and its entries still match it. */
        public boolean matches() {
            return actual.equals(saved);
        }
    }

    /** The SHA-256 (hex) of the entries other than {@value #CHECKSUM_KEY}, as {@code key=value\n} lines in key order. */
    static String checksum(Properties p) {
        StringBuilder text = new StringBuilder();
        for (String key : new TreeSet<>(p.stringPropertyNames())) {
            if (!key.equals(CHECKSUM_KEY)) {
                text.append(key).append('=').append(p.getProperty(key)).append('\n');
            }
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e); // every JDK must have it
        }
    }
}
