package org.tlbjava.spark;

import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.sum;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.function.FilterFunction;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.tlbjava.TlbException;
import org.tlbjava.cli.Json;
import org.tlbjava.cli.ModelOptions;
import org.tlbjava.data.ImageFiles;
import org.tlbjava.train.EvaluationReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Loss, accuracy, per-class accuracy and confusion matrix of a trained model on a labelled folder"
            + " tree (an image's label is its folder's name), as tlb evaluate prints them.",
            "Files without an image extension and images that cannot be decoded are counted, not scored."})
final class EvaluateCommand implements Callable<Integer> {
    /** Per image: true and predicted class (-1: not decoded), its loss, and the error. */
    private static final StructType SCHEMA = new StructType()
            .add("label", DataTypes.IntegerType, false)
            .add("predicted", DataTypes.IntegerType, false)
            .add("loss", DataTypes.DoubleType, false)
            .add("error", DataTypes.StringType, true);
    private static final int NOT_DECODED = -1;

    @Mixin
    SparkOptions sparkOptions;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    ImageInputOptions input;

    @Option(names = "--json", description = "End with one JSON line (tlb evaluate --json's fields, input in place of split).")
    boolean json;

    @Override
    public Integer call() throws IOException {
        input.check();
        ModelShipment shipment = new ModelShipment(modelOptions.model);
        List<String> classes = shipment.classes();
        try (SparkOptions.Session session = sparkOptions.start("tlb-spark evaluate")) {
            SparkSession spark = session.spark();
            Dataset<Row> files = FileSource.images(spark, input.inputs);
            long ignored = checkLabels(files, classes);
            Broadcast<ModelShipment> shipped = spark.sparkContext().broadcast(shipment,
                    scala.reflect.ClassTag$.MODULE$.apply(ModelShipment.class));
            List<Row> groups = files.filter((FilterFunction<Row>) row -> imageLabel(row.getString(0)) != null)
                    .mapPartitions(new Scores(shipped, input.batchSize), Encoders.row(SCHEMA))
                    .groupBy("label", "predicted").agg(count("*"), sum("loss"), first("error", true))
                    .collectAsList();
            int n = classes.size();
            long[][] confusion = new long[n][n];
            long images = 0;
            long correct = 0;
            double loss = 0;
            List<String> errors = new ArrayList<>();
            long unreadable = 0;
            for (Row g : groups) {
                int label = g.getInt(0);
                int predicted = g.getInt(1);
                long count = g.getLong(2);
                if (predicted == NOT_DECODED) {
                    unreadable += count;
                    errors.add(g.getString(4));
                    continue;
                }
                confusion[label][predicted] += count;
                images += count;
                correct += label == predicted ? count : 0;
                loss += g.getDouble(3);
            }
            for (String error : errors) {
                System.err.println("tlb-spark: warning: skipping " + error + (unreadable > errors.size() ? " (and others)" : ""));
            }
            if (images == 0) {
                throw new TlbException("--input " + input.describe() + " holds no readable images");
            }
            EvaluationReport report = new EvaluationReport(Math.toIntExact(images), loss / images,
                    (double) correct / images, classes, confusion);
            System.out.println(input.describe() + ": " + report.summary()
                    + (unreadable > 0 ? "  (" + unreadable + " unreadable, skipped)" : "")
                    + (ignored > 0 ? "  (" + ignored + " files without an image extension, ignored)" : ""));
            System.out.println(report.table());
            if (json) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("input", input.describe());
                out.putAll(report.json());
                out.put("unreadable", unreadable);
                out.put("ignored", ignored);
                System.out.println(Json.line(out));
            }
        } finally {
            shipment.release();
        }
        return 0;
    }

    /**
     * Every folder holding images must be a class of the model, as tlb evaluate requires of class
     * folders; returns how many files have no image extension.
     */
    private long checkLabels(Dataset<Row> files, List<String> classes) {
        List<Row> labels = files.select("path").map((MapFunction<Row, String>) row -> imageLabel(row.getString(0)),
                Encoders.STRING()).groupBy("value").count().collectAsList();
        TreeSet<String> unknown = new TreeSet<>();
        long ignored = 0;
        for (Row row : labels) {
            String label = row.getString(0);
            if (label == null) {
                ignored = row.getLong(1);
            } else if (!classes.contains(label)) {
                unknown.add(label);
            }
        }
        if (!unknown.isEmpty()) {
            throw new TlbException("folders " + unknown + " under --input " + input.describe()
                    + " are not classes of the model " + classes + ": an image's label is its folder's name");
        }
        if (labels.stream().allMatch(row -> row.isNullAt(0))) {
            throw new TlbException("--input " + input.describe() + " holds no image files");
        }
        return ignored;
    }

    /** The label of an image file (its folder's name); null for a file without an image extension. */
    static String imageLabel(String path) {
        return ImageFiles.hasImageExtension(Path.of(new org.apache.hadoop.fs.Path(path).getName()))
                ? FileSource.parentName(path) : null;
    }

    /** One partition's labelled images to scores, batched. */
    private record Scores(Broadcast<ModelShipment> model, int batchSize) implements MapPartitionsFunction<Row, Row> {
        @Override
        public Iterator<Row> call(Iterator<Row> files) {
            ModelShipment shipment = model.value();
            return Classification.rows(files, shipment, batchSize, result -> {
                int label = shipment.classes().indexOf(FileSource.parentName(result.path()));
                if (result.error() != null) {
                    return RowFactory.create(label, NOT_DECODED, 0.0, result.error());
                }
                float[] p = result.prediction().probabilities();
                // floored: a probability that underflowed to 0 would make the loss infinite (tlb's log-softmax stays finite)
                double loss = -Math.log(Math.max(p[label], Float.MIN_NORMAL));
                return RowFactory.create(label, result.prediction().classIndex(), loss, null);
            });
        }
    }
}
