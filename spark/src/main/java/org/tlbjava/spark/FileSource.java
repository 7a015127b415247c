package org.tlbjava.spark;

import java.io.IOException;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.tlbjava.TlbException;
import org.tlbjava.UsageException;

/** Input files through Spark's binaryFile source, and outputs that appear whole or not at all. */
final class FileSource {
    private FileSource() {}

    /** Every file under the inputs (folders are read recursively, globs expanded), as rows (path, content). */
    static Dataset<Row> images(SparkSession spark, List<String> inputs) {
        try {
            return spark.read().format("binaryFile").option("recursiveFileLookup", "true")
                    .load(inputs.toArray(new String[0])).select("path", "content");
        } catch (Exception e) { // Scala's AnalysisException is checked to Java but undeclared
            if (e instanceof AnalysisException) {
                throw new UsageException("--input " + String.join(",", inputs) + ": " + e.getMessage());
            }
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
    }

    /** The name of the folder holding {@code path} (a Hadoop path or URI): an image's label. */
    static String parentName(String path) {
        Path parent = new Path(path).getParent();
        return parent == null ? "" : parent.getName();
    }

    /** Refuses an output that exists already: a job never writes over or into earlier results. */
    static void requireNew(SparkSession spark, String output, String option) {
        try {
            Path path = new Path(output);
            if (path.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(path)) {
                throw new UsageException(option + " " + output + " already exists; choose a new path");
            }
        } catch (IOException e) {
            throw new TlbException(option + " " + output + ": " + e.getMessage());
        }
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
