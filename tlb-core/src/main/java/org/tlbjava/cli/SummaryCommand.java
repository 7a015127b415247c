package org.tlbjava.cli;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.tlbjava.config.ModelConfig;
import org.tlbjava.config.TlbConfig;
import org.tlbjava.model.TlbModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "summary", mixinStandardHelpOptions = true,
        description = "Print the model as a Keras-style table: block, output shape, parameters.")
final class SummaryCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions configOptions;

    @Option(names = "--json", description = "End with one JSON line.")
    boolean json;

    @Override
    public Integer call() {
        TlbConfig c = configOptions.resolve().validate();
        try (NDManager manager = NDManager.newBaseManager()) {
            TlbModel model = TlbModel.create(c, manager);
            Map<String, Long> counts = model.blockParameterCounts();
            Map<String, Long> cellCounts = model.cellParameterCounts();
            ModelConfig m = c.model();
            List<String[]> rows = new ArrayList<>();
            rows.add(row("patch_embedding (PatchEmbedding" + (m.convStem() ? ", conv stem" : "") + ")",
                    shape(c.numChunks(), c.chunkSize, c.embedDim), counts.get("patch_embedding")));
            rows.add(row(m.paper() ? "rnn (RNN over the paper's TLB cell)" : "rnn (RNN over CustomRecurrentCell)",
                    shape(c.chunkSize, c.embedDim), counts.get("rnn")));
            for (Map.Entry<String, Long> block : cellCounts.entrySet()) {
                rows.add(row("  " + block.getKey(), "", block.getValue()));
            }
            if (m.stateReadout()) {
                rows.add(row("state_layernorm (LayerNormalization)", shape(m.stateLength(), c.embedDim),
                        counts.get("state_layernorm")));
                rows.add(row("gap over the state (GlobalAveragePooling1D)", shape(c.embedDim), 0));
            } else {
                rows.add(row("gap (GlobalAveragePooling1D)", shape(c.embedDim), 0));
            }
            rows.add(row("head (Dense)", shape(c.numClasses), counts.get("head")));
            String rule = "─".repeat(78);
            System.out.println("Model: \"temporal_latent_bottleneck_model\" (variant " + m.variant() + ", readout "
                    + m.readout() + ")");
            System.out.println(rule);
            System.out.printf(Locale.ROOT, "%-40s %-22s %14s%n", "Layer (type)", "Output Shape", "Param #");
            System.out.println(rule);
            for (String[] r : rows) {
                System.out.printf(Locale.ROOT, "%-40s %-22s %14s%n", r[0], r[1], r[2]);
            }
            System.out.println(rule);
            System.out.printf(Locale.ROOT, " Total params: %,d%n Trainable params: %,d%n Non-trainable params: 0%n",
                    model.parameterCount(), model.parameterCount());
            if (json) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("variant", m.variant());
                out.put("total_params", model.parameterCount());
                out.put("blocks", counts);
                out.put("cell_blocks", cellCounts);
                System.out.println(Json.line(out));
            }
        }
        return 0;
    }

    private static String shape(int... dims) {
        StringBuilder s = new StringBuilder("(None");
        for (int d : dims) {
            s.append(", ").append(d);
        }
        return s.append(')').toString();
    }

    private static String[] row(String name, String shape, long params) {
        return new String[] {name, shape, String.format(Locale.ROOT, "%,d", params)};
    }
}
