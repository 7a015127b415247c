package org.tlbjava.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.udf;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.tlbjava.TlbException;
import org.tlbjava.UsageException;
import org.tlbjava.cli.ModelOptions;
import org.tlbjava.explain.Prediction;
import org.tlbjava.io.Csv;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Classify every image under --input with a trained model, one model per executor, and write"
            + " path, class, probability (top-1), probabilities (all, in class order) and error per file.",
            "A file that cannot be decoded becomes a row with an error, never a failed job."})
final class PredictCommand implements Callable<Integer> {
    static final StructType SCHEMA = new StructType()
            .add("path", DataTypes.StringType, false)
            .add("class", DataTypes.StringType, true)
            .add("probability", DataTypes.FloatType, true)
            .add("probabilities", DataTypes.createArrayType(DataTypes.FloatType, false), true)
            .add("error", DataTypes.StringType, true);

    @Mixin
    SparkOptions sparkOptions;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    ImageInputOptions input;

    @Option(names = "--output", paramLabel = "PATH", required = true, description = "Where the table goes (a new path).")
    String output;

    @Option(names = "--format", description = "parquet or csv (csv: one probability column p_<class> per class; default ${DEFAULT-VALUE}).",
            defaultValue = "parquet")
    String format;

    @Override
    public Integer call() throws IOException {
        if (!format.equals("parquet") && !format.equals("csv")) {
            throw new UsageException("--format must be parquet or csv, got '" + format + "'");
        }
        input.check();
        ModelShipment shipment = new ModelShipment(modelOptions.model);
        long start = System.nanoTime();
        try (SparkOptions.Session session = sparkOptions.start("tlb-spark predict")) {
            SparkSession spark = session.spark();
            FileSource.requireNew(spark, output, "--output");
            Dataset<Row> files = FileSource.images(spark, input.inputs);
            Broadcast<ModelShipment> shipped = spark.sparkContext().broadcast(shipment,
                    scala.reflect.ClassTag$.MODULE$.apply(ModelShipment.class));
            LongAccumulator images = spark.sparkContext().longAccumulator("images");
            LongAccumulator errors = spark.sparkContext().longAccumulator("unreadable");
            Dataset<Row> table = files.mapPartitions(new Rows(shipped, input.batchSize, images, errors), Encoders.row(SCHEMA));
            try {
                if (format.equals("csv")) {
                    // RFC 4180 as tlb predict --csv writes it: quotes in a cell doubled, not backslashed
                    csvColumns(table, shipment.classes()).write().option("header", "true").option("escape", "\"")
                            .csv(output);
                } else {
                    table.write().parquet(output);
                }
            } catch (Exception e) { // SparkException is checked to Java but undeclared
                FileSource.delete(spark, output);
                throw FileSource.writeFailure(output, e);
            }
            if (images.value() == 0) {
                FileSource.delete(spark, output);
                throw new TlbException("--input " + input.describe() + " holds no files");
            }
            System.out.printf(Locale.ROOT, "Wrote %d predictions (%d unreadable) to %s in %.1f s%n", images.value(),
                    errors.value(), output, (System.nanoTime() - start) / 1e9);
        } finally {
            shipment.release();
        }
        return 0;
    }

    /**
     * CSV has no arrays: the probabilities become one column per class, p_<class>. Text cells are
     * {@link Csv#neutralised}, as in tlb predict --csv, so that no spreadsheet runs one as a formula.
     */
    static Dataset<Row> csvColumns(Dataset<Row> table, List<String> classes) {
        UserDefinedFunction text = udf((UDF1<String, String>) Csv::neutralised, DataTypes.StringType);
        List<Column> columns = new ArrayList<>(List.of(text.apply(col("path")).as("path"),
                text.apply(col("class")).as("class"), col("probability")));
        for (int c = 0; c < classes.size(); c++) {
            columns.add(col("probabilities").getItem(c).as("p_" + classes.get(c)));
        }
        columns.add(text.apply(col("error")).as("error"));
        return table.select(columns.toArray(new Column[0]));
    }

    /** One partition's files to prediction rows, batched. */
    private record Rows(Broadcast<ModelShipment> model, int batchSize, LongAccumulator images, LongAccumulator errors)
            implements MapPartitionsFunction<Row, Row> {
        @Override
        public Iterator<Row> call(Iterator<Row> files) {
            return Classification.rows(files, model.value(), batchSize, result -> {
                images.add(1);
                if (result.error() != null) {
                    errors.add(1);
                    return RowFactory.create(result.path(), null, null, null, result.error());
                }
                Prediction p = result.prediction();
                return RowFactory.create(result.path(), p.className(), p.probability(), boxed(p.probabilities()), null);
            });
        }
    }

    static Float[] boxed(float[] values) {
        Float[] out = new Float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
