package io.sparkdiffusion.io;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** A {@link BlobStore} over a directory of any Hadoop FileSystem (local, HDFS, S3). */
public final class HadoopBlobStore implements BlobStore {
    private final Path dir;
    private final Configuration conf;

    public HadoopBlobStore(String dir, Configuration conf) {
        this.dir = new Path(dir);
        this.conf = conf;
    }

    @Override
    public OutputStream create(String name) throws IOException {
        Path p = new Path(dir, name);
        return p.getFileSystem(conf).create(p, true);
    }

    @Override
    public InputStream open(String name) throws IOException {
        Path p = new Path(dir, name);
        return p.getFileSystem(conf).open(p);
    }

    @Override
    public String describe() {
        return dir.toString();
    }
}
