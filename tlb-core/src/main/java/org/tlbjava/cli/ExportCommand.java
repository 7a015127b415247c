package org.tlbjava.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.tlbjava.UsageException;
import org.tlbjava.explain.TlbClassifier;
import org.tlbjava.export.OnnxFileSummary;
import org.tlbjava.export.OnnxOptions;
import org.tlbjava.io.OutputFiles;
import org.tlbjava.train.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a trained model as a standard ONNX file (opset 18) that runs outside the JVM:"
                + " input 'images' uint8 RGB [N, 3, H, W] at the training input size, preprocessing included;"
                + " output 'probabilities' [N, classes].")
final class ExportCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "onnx", description = "Output format: onnx (the only one).")
    String format;

    @Option(names = "--out", paramLabel = "FILE", description = "Output file (default: RUN_DIR/model.onnx).")
    Path out;

    @Option(names = "--batch", paramLabel = "N|dynamic", defaultValue = "dynamic",
            description = "Batch size fixed in the graph, or dynamic (default).")
    String batch;

    @Option(names = "--attention", description = "Also output 'attention' [N, image_size, image_size], the TLB attention maps.")
    boolean attention;

    @Option(names = "--json", description = "End with one JSON line.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (!format.equals("onnx")) {
            throw new UsageException("unknown --format " + format + "; the only format is onnx");
        }
        OnnxOptions options = new OnnxOptions(fixedBatch(), attention);
        Path run = modelOptions.run();
        Path file = out != null ? out : run.resolve("model.onnx");
        List<Path> inputs = new ArrayList<>(RunDirectory.ownFiles(run));
        inputs.add(modelOptions.model);
        OutputFiles.check("--out", file, inputs);
        try (TlbClassifier classifier = TlbClassifier.load(modelOptions.model)) {
            classifier.exportOnnx(file, options);
        }
        long bytes = Files.size(file);
        OnnxFileSummary summary = OnnxFileSummary.read(file);
        System.out.printf(Locale.ROOT, "wrote %s (%,d bytes): ONNX IR %d, opset %d%n", file, bytes, summary.irVersion(),
                summary.opset());
        summary.inputs().forEach(t -> System.out.println("  input   " + t));
        summary.outputs().forEach(t -> System.out.println("  output  " + t));
        System.out.println("  classes " + String.join(", ", summary.classes()) + " (in output order; metadata 'classes')");
        if (json) {
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("file", file.toString());
            result.put("bytes", bytes);
            result.put("opset", summary.opset());
            result.put("inputs", summary.inputs());
            result.put("outputs", summary.outputs());
            result.put("classes", summary.classes());
            System.out.println(Json.line(result));
        }
        return 0;
    }

    private int fixedBatch() {
        if (batch.equals("dynamic")) {
            return 0;
        }
        try {
            int n = Integer.parseInt(batch);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("--batch must be a positive number or dynamic, got " + batch);
    }
}
