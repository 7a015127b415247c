package org.tlbjava.cli;

import org.tlbjava.serve.ServeLimits;
import picocli.CommandLine.Option;

/** How a server runs its models: the engine and the threads per model (serve and bench serve). */
final class ServeEngineOptions {
    @Option(names = "--engine", paramLabel = "onnx|pytorch", defaultValue = "onnx",
            description = "What runs the models: onnx (ONNX Runtime on the network exported in memory; fastest)"
                    + " or pytorch (default ${DEFAULT-VALUE}).")
    String engine;

    @Option(names = "--workers", paramLabel = "N",
            description = "Threads per model that run batches, one core each; with pytorch each has its own copy of"
                    + " the model (default: the number of cores, here ${DEFAULT-VALUE}).")
    int workers = Runtime.getRuntime().availableProcessors();

    ServeLimits.Engine engine() {
        return ServeLimits.Engine.of(engine);
    }

    ServeLimits applyTo(ServeLimits limits) {
        return limits.withEngine(engine()).withWorkers(workers);
    }
}
