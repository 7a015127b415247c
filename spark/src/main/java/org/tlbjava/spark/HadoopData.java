package org.tlbjava.spark;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.deploy.SparkHadoopUtil;
import org.tlbjava.TlbException;
import org.tlbjava.io.AtomicFiles;

/**
 * {@code --data} on a Hadoop file system ({@code hdfs:}, {@code s3a:}, {@code file:}, any URI
 * with a scheme). tlb's data readers take local files, so each machine copies the data once into
 * a local folder named after the URI and the files' sizes and times: the same path on the driver
 * and on every executor, which is what the run records, and a copy made anew when the data
 * changes.
 */
final class HadoopData {
    private static final Pattern URI_WITH_SCHEME = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]+:/.*");

    private HadoopData() {}

    /** Whether {@code data} names a Hadoop file system path rather than a local one. */
    static boolean isUri(String data) {
        return data != null && URI_WITH_SCHEME.matcher(data).matches();
    }

    /** Where this machine keeps its copy of {@code uri}: under {@code java.io.tmpdir}, named after the data. */
    static Path localCopy(String uri, Configuration conf) {
        org.apache.hadoop.fs.Path source = new org.apache.hadoop.fs.Path(uri);
        try {
            FileSystem fs = fileSystem(uri, conf);
            if (!fs.exists(source)) {
                throw new TlbException("--data " + uri + ": no such file or directory");
            }
            StringBuilder identity = new StringBuilder(fs.makeQualified(source).toString());
            RemoteIterator<LocatedFileStatus> files = fs.listFiles(source, true);
            while (files.hasNext()) {
                FileStatus f = files.next();
                identity.append('\n').append(f.getPath()).append(' ').append(f.getLen()).append(' ')
                        .append(f.getModificationTime());
            }
            String name = source.getName().isEmpty() ? "data" : source.getName();
            return Path.of(System.getProperty("java.io.tmpdir"), "tlb-data", sha256(identity.toString()), name);
        } catch (IOException e) {
            throw new TlbException("--data " + uri + ": " + e.getMessage());
        }
    }

    /**
     * Copies {@code uri} to {@code target} unless a finished copy is there. The copy is made
     * beside it and renamed into place, so tasks on one machine copying at once leave one whole
     * copy and a killed copy leaves none.
     */
    static void copy(String uri, Path target, Configuration conf) {
        Path folder = target.getParent();
        if (Files.isDirectory(folder)) {
            return;
        }
        Path partial = null;
        try {
            Files.createDirectories(folder.getParent());
            partial = Files.createTempDirectory(folder.getParent(), folder.getFileName() + ".partial-");
            org.apache.hadoop.fs.Path source = new org.apache.hadoop.fs.Path(uri);
            fileSystem(uri, conf).copyToLocalFile(false, source,
                    new org.apache.hadoop.fs.Path(partial.resolve(target.getFileName().toString()).toUri()), true);
            Files.move(partial, folder, StandardCopyOption.ATOMIC_MOVE);
            partial = null;
        } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException anotherTaskCopiedIt) {
            // the other copy is whole: it was renamed into place
        } catch (IOException e) {
            throw new TlbException("--data " + uri + ": cannot copy it to " + folder + ": " + e.getMessage());
        } finally {
            if (partial != null) {
                AtomicFiles.deleteTree(partial);
            }
        }
    }

    /** The file system of {@code uri}; one whose connector is not on the class path is named as such. */
    private static FileSystem fileSystem(String uri, Configuration conf) throws IOException {
        try {
            return new org.apache.hadoop.fs.Path(uri).getFileSystem(conf);
        } catch (RuntimeException e) {
            if (e.getCause() instanceof ClassNotFoundException missing) {
                throw new TlbException("--data " + uri + ": this Spark has no connector for '"
                        + URI.create(uri).getScheme() + ":' (" + missing.getMessage() + "); put its jars on the"
                        + " class path (for s3a: hadoop-aws and its AWS SDK)");
            }
            throw e;
        }
    }

    /** The Hadoop configuration Spark gives its jobs ({@code spark.hadoop.*} included), on the driver or an executor. */
    static Configuration configuration() {
        SparkEnv env = SparkEnv.get();
        return SparkHadoopUtil.get().newConfiguration(env != null ? env.conf() : new SparkConf());
    }

    private static String sha256(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
