package io.sparkdiffusion.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkdiffusion.io.HadoopPath;
import io.sparkdiffusion.io.HadoopPaths;
import org.apache.hadoop.conf.Configuration;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads a JSON config: a local path, or any Hadoop URI ({@code hdfs://}, {@code s3a://}). */
public final class ConfigFile {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

    private ConfigFile() {
    }

    /**
     * The JSON object in {@code location}.
     *
     * @throws UsageException naming the file when it is missing, unreadable, not JSON or not an object
     */
    public static ObjectNode read(String location) {
        byte[] bytes;
        try {
            if (location.contains("://")) {
                HadoopPath path = HadoopPaths.resolve(location, new Configuration());
                bytes = path.readAllBytes();
            } else {
                Path path = Path.of(location);
                if (!Files.isRegularFile(path)) {
                    throw new UsageException("config file " + location + " does not exist"
                            + (Files.isDirectory(path) ? " (it is a directory)" : "")
                            + "; configs that come with the project are in conf/");
                }
                bytes = Files.readAllBytes(path);
            }
        } catch (FileNotFoundException e) {
            throw new UsageException("config file " + location + " does not exist", e);
        } catch (IOException e) {
            throw new UsageException("cannot read config file " + location + ": " + e.getMessage(), e);
        }
        return parse(bytes, location);
    }

    /** Parses {@code bytes} as a JSON object; {@code name} goes into the error messages. */
    public static ObjectNode parse(byte[] bytes, String name) {
        JsonNode node;
        try {
            node = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new UsageException(name + " is not valid JSON" + where + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UsageException("cannot read " + name + ": " + e.getMessage(), e);
        }
        if (node == null || !node.isObject()) {
            boolean empty = node == null || node.isMissingNode();
            throw new UsageException(name + " must hold a JSON object {\"key\": value, ...}, got "
                    + (empty ? "nothing" : node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
        }
        return (ObjectNode) node;
    }
}
