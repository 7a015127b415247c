package org.tlbjava.spark;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;
import org.apache.spark.sql.Row;
import org.tlbjava.TlbException;
import org.tlbjava.data.ImageFiles;
import org.tlbjava.explain.Prediction;
import org.tlbjava.explain.TlbClassifier;

/**
 * Classifies a partition's files (rows of Spark's binaryFile source: path, content) in batches,
 * lazily: each image becomes a prediction, or an error when it cannot be decoded.
 */
final class Classification {
    /** One file's outcome: exactly one of prediction and error is set. */
    record Result(String path, Prediction prediction, String error) {}

    private Classification() {}

    /** The results for {@code files}, decoded with ImageFiles and classified {@code batchSize} at a time. */
    static Iterator<Result> classify(Iterator<Row> files, ModelShipment model, int batchSize) {
        return new Iterator<>() {
            private Iterator<Result> batch = List.<Result>of().iterator();

            @Override
            public boolean hasNext() {
                if (!batch.hasNext() && files.hasNext()) {
                    batch = classifyBatch(files, model, batchSize).iterator();
                }
                return batch.hasNext();
            }

            @Override
            public Result next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return batch.next();
            }
        };
    }

    private static List<Result> classifyBatch(Iterator<Row> files, ModelShipment model, int batchSize) {
        List<String> paths = new ArrayList<>();
        List<BufferedImage> images = new ArrayList<>();
        List<Result> out = new ArrayList<>();
        while (files.hasNext() && images.size() < batchSize) {
            Row row = files.next();
            String path = row.getString(0);
            byte[] content = (byte[]) row.get(1);
            try {
                images.add(ImageFiles.read(new ByteArrayInputStream(content), path, model.maxImagePixels()));
                paths.add(path);
                out.add(null); // filled in below, in input order
            } catch (TlbException e) {
                out.add(new Result(path, null, e.getMessage()));
            }
        }
        if (!images.isEmpty()) {
            List<Prediction> predictions = model.classifier().predictAll(images);
            int next = 0;
            for (int i = 0; i < out.size(); i++) {
                if (out.get(i) == null) {
                    out.set(i, new Result(paths.get(next), predictions.get(next), null));
                    next++;
                }
            }
        }
        return out;
    }

    /** {@link #classify} with each result made a row by {@code toRow}. */
    static Iterator<Row> rows(Iterator<Row> files, ModelShipment model, int batchSize, Function<Result, Row> toRow) {
        Iterator<Result> results = classify(files, model, batchSize);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return results.hasNext();
            }

            @Override
            public Row next() {
                return toRow.apply(results.next());
            }
        };
    }
}
