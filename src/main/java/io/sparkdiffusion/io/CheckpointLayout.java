package io.sparkdiffusion.io;

import org.apache.hadoop.fs.FileStatus;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The directory layout of training checkpoints: one directory per saved round, {@code round-NNNNNN/} (at least six
 * digits), and a file {@code LATEST} naming the newest. Each round directory is published whole through
 * {@link AtomicFiles#writeDirectory}, then {@code LATEST} is replaced through {@link AtomicFiles#writeText}, so a
 * writer killed midway leaves the earlier checkpoints intact. {@code LATEST} is only a hint: readers try it first,
 * then the other rounds newest first.
 */
public final class CheckpointLayout {
    public static final String LATEST = "LATEST";
    private static final Pattern ROUND_DIR = Pattern.compile("round-(\\d{6,})");

    private CheckpointLayout() {
    }

    /** The directory name of round {@code round}, e.g. {@code round-000012}. */
    public static String roundDir(int round) {
        return String.format("round-%06d", round);
    }

    /** Publishes the checkpoint of {@code round} that {@code content} writes, then points {@code LATEST} at it. */
    public static HadoopPath publish(HadoopPath root, int round, AtomicFiles.DirectoryContent content) throws IOException {
        String name = roundDir(round);
        HadoopPath target = root.child(name);
        AtomicFiles.writeDirectory(target, content);
        AtomicFiles.writeText(root.child(LATEST), name);
        return target;
    }

    /** The {@code round-*} directories under {@code root}, newest first, the one {@code LATEST} names at the front. */
    public static List<String> candidates(HadoopPath root) throws IOException {
        FileStatus[] entries;
        try {
            entries = root.fs().listStatus(root.path());
        } catch (FileNotFoundException e) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        for (FileStatus s : entries) {
            if (s.isDirectory() && ROUND_DIR.matcher(s.getPath().getName()).matches()) {
                names.add(s.getPath().getName());
            }
        }
        names.sort(Comparator.comparingLong((String n) -> Long.parseLong(n.substring("round-".length()))).reversed());
        String hint = readLatest(root.child(LATEST));
        if (hint != null && names.remove(hint)) {
            names.add(0, hint);
        }
        return names;
    }

    private static String readLatest(HadoopPath latest) {
        try (var in = latest.open()) {
            String name = new String(in.readNBytes(64), StandardCharsets.UTF_8).strip();
            return ROUND_DIR.matcher(name).matches() ? name : null;
        } catch (IOException e) {
            return null;
        }
    }
}
