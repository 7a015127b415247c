package org.tlbjava.spark;

import java.util.List;
import org.tlbjava.UsageException;
import picocli.CommandLine.Option;

/** {@code --input PATH… --batch-size N}: the images predict and evaluate read, and how many go into one model call. */
final class ImageInputOptions {
    @Option(names = "--input", paramLabel = "PATH", required = true, split = ",",
            description = "Image folders (read recursively; for evaluate DIR/<class>/image), files or globs, on any"
                    + " Hadoop file system (repeatable).")
    List<String> inputs;

    @Option(names = "--batch-size", description = "Images per model call inside each partition (default ${DEFAULT-VALUE}).", defaultValue = "64")
    int batchSize;

    void check() {
        if (batchSize <= 0) {
            throw new UsageException("--batch-size must be positive, got " + batchSize);
        }
    }

    /** The inputs as given, for messages. */
    String describe() {
        return String.join(",", inputs);
    }
}
