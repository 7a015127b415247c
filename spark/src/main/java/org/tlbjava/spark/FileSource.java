package org.tlbjava.spark;

import static org.apache.spark.sql.functions.lit;

import java.io.IOException;
import java.net.URI;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.tlbjava.TlbException;
import org.tlbjava.UsageException;
import org.tlbjava.io.OutputFiles;

/** Input files through Spark's binaryFile source, and outputs that appear whole or not at all. */
final class FileSource {
    /** Where Hadoop's FileOutputCommitter keeps a job's files until it commits them. */
    private static final String UNCOMMITTED = "_temporary";

    private FileSource() {}

    /**
     * Every file under the inputs (folders are read recursively, globs expanded), as rows (path,
     * content). Empty files are rows with no content: binaryFile lists them but never reads them
     * (SPARK-26161), and every file must be answered.
     */
    static Dataset<Row> images(SparkSession spark, List<String> inputs) {
        Dataset<Row> files;
        try {
            files = spark.read().format("binaryFile").option("recursiveFileLookup", "true")
                    .load(inputs.toArray(new String[0])).select("path", "content");
        } catch (Exception e) { // Scala's AnalysisException is checked to Java but undeclared
            if (e instanceof AnalysisException) {
                throw new UsageException("--input " + String.join(",", inputs) + ": " + e.getMessage());
            }
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
        // inputFiles are URIs (file:///a%20b); the path column is a Hadoop path (file:/a b)
        List<String> listed = Arrays.stream(files.inputFiles()).map(uri -> new Path(URI.create(uri)).toString()).toList();
        Dataset<Row> all = spark.createDataset(listed, Encoders.STRING()).toDF("path");
        Dataset<Row> empty = all.join(files.select("path"), all.col("path").equalTo(files.col("path")), "left_anti")
                .withColumn("content", lit(new byte[0]));
        return files.unionByName(empty);
    }

    /** The name of the folder holding {@code path} (a Hadoop path or URI): an image's label. */
    static String parentName(String path) {
        Path parent = new Path(path).getParent();
        return parent == null ? "" : parent.getName();
    }

    /**
     * Refuses an output that exists already: a job never writes over or into earlier results. An
     * empty directory, or one holding only the _temporary folder of a job that was killed before it
     * committed, is removed for the job to write.
     */
    static void requireNew(SparkSession spark, String output, String option) {
        try {
            Path path = new Path(output);
            FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(path)) {
                return;
            }
            boolean leftover = fs.getFileStatus(path).isDirectory() && Arrays.stream(fs.listStatus(path))
                    .allMatch(entry -> entry.getPath().getName().equals(UNCOMMITTED));
            if (!leftover || !fs.delete(path, true)) {
                throw new UsageException(option + " " + output + " already exists; choose a new path");
            }
        } catch (IOException e) {
            throw new TlbException(option + " " + output + ": " + e.getMessage());
        }
    }

    /**
     * A failed write of {@code output} as one line naming it ("no space left writing O") when an
     * I/O error caused it; any other failure as it is.
     */
    static RuntimeException writeFailure(String output, Exception e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof IOException io) {
                return OutputFiles.failure(output, io);
            }
        }
        return e instanceof RuntimeException r ? r : new IllegalStateException(e);
    }

    /** Removes what a failed job left of {@code output}. */
    static void delete(SparkSession spark, String output) {
        try {
            Path path = new Path(output);
            FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
            fs.delete(path, true);
        } catch (IOException | RuntimeException e) {
            System.err.println("tlb-spark: warning: could not remove the partial output " + output + ": " + e.getMessage());
        }
    }
}
