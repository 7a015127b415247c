package org.tlbjava.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Process-wide settings of the native engine that DJL does not expose (docs/PERFORMANCE.md has
 * the measurements behind each):
 * <ul>
 * <li>glibc keeps freed buffers instead of unmapping them. A training step allocates and frees
 *     thousands of 0.5–10 MB tensors; by default each is a fresh mmap whose pages the kernel
 *     faults in and zeroes on first touch, ~25 % of a step's CPU time here.</li>
 * <li>matmul kernels: PyTorch's "medium" float32 matmul precision hands fp32 matmuls to oneDNN.
 *     Where oneDNN chooses to (Intel Xeons with AMX), it then computes them in bf16 with float32
 *     accumulation (the reference's mixed_float16 policy, in the 16-bit format CPUs have); where
 *     it does not (AMD EPYCs with AVX2 or AVX-512, avx512_bf16 included) the results stay float32,
 *     bit for bit the same function, and inference runs ~3x faster than on MKL's generic path.
 *     Which of the two happens is measured, not assumed ({@link #configureMatmuls}). DJL has no
 *     call for the setting, so it is made on libtorch's own symbols.</li>
 * <li>NNPACK is switched off where it cannot run. PyTorch tries it before every convolution
 *     without gradients and, where its initialisation fails (it does on this project's AVX-512
 *     machines), logs "Could not initialize NNPACK! Reason: Unsupported hardware." each time:
 *     thousands of lines from a server. The convolution took another kernel anyway, so no number
 *     changes; where NNPACK works it stays on.</li>
 * <li>libtorch's "AutoNonVariableTypeMode is deprecated" warning, printed by a guard DJL's native
 *     library takes, is marked as already printed.</li>
 * </ul>
 */
public final class EngineTuning {
    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_TOP_PAD = -2;
    private static final int M_MMAP_THRESHOLD = -3;
    /** glibc's ceiling for the mmap threshold on 64-bit (a larger value is refused). */
    private static final int MMAP_THRESHOLD = 32 << 20;
    private static final int TOP_PAD = 256 << 20;
    /** at::Float32MatmulPrecision: HIGHEST (fp32) = 0, MEDIUM (bf16 allowed) = 2. */
    private static final int HIGHEST = 0;
    private static final int MEDIUM = 2;
    private static final String GLOBAL_CONTEXT = "_ZN2at13globalContextEv";
    private static final String SET_PRECISION =
            "_ZN2at7Context25setFloat32MatmulPrecisionENS_22Float32MatmulPrecisionE";
    private static final String GET_PRECISION = "_ZNK2at7Context22float32MatmulPrecisionEv";
    private static final String NNPACK_AVAILABLE = "_ZN2at6native17_nnpack_availableEv";
    private static final String SET_NNPACK = "_ZN2at7Context20setUserEnabledNNPACKEb";
    /** c10's logging threshold (0 info, 1 warning, 2 error): messages below it are dropped. */
    private static final String LOG_LEVEL = "FLAGS_caffe2_log_level";
    private static final int ERROR = 2;

    /** The warn-once flag (a function-local static and its guard) behind DJL's deprecation warning. */
    private static final String[] WARN_ONCE_SYMBOLS = {
        "_ZGVZN2at23AutoNonVariableTypeModeC4EbE17torch_warn_once_1",
        "_ZZN2at23AutoNonVariableTypeModeC4EbE17torch_warn_once_1"};

    /** How this process computes matmuls, as measured by {@link #configureMatmuls}. */
    public enum Matmuls {
        BFLOAT16("matmuls in bfloat16 (float32 weights, accumulation and other operations)"),
        FLOAT32_ONEDNN("matmuls in float32 on oneDNN's kernels (a probe matmul stayed unrounded in float32 on"
                + " this CPU, so mixed_precision changes no number here)"),
        FLOAT32("matmuls in float32");

        private final String description;

        Matmuls(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    private static boolean allocatorTuned;
    private static boolean warningSilenced;
    private static boolean nnpackChecked;
    private static NativeLibrary libtorch;
    private static Boolean mediumRounds;
    private static Matmuls matmuls = Matmuls.FLOAT32;

    private interface LibC extends Library {
        int mallopt(int param, int value);
    }

    private EngineTuning() {}

    /**
     * Sets the engine's (OpenMP) thread count for parallel work started from the calling thread,
     * and for threads made after it; returns the count it replaces, for a try/finally to restore.
     * Loads the engine first: DJL's thread calls fail with an {@code UnsatisfiedLinkError} before.
     */
    public static int setThreads(int threads) {
        int before = threads();
        JniUtils.setNumThreads(threads);
        return before;
    }

    /** The engine's thread count for parallel work started from the calling thread (loading the engine first). */
    public static int threads() {
        Engine.getEngine("PyTorch");
        return JniUtils.getNumThreads();
    }

    /**
     * The engine settings for a program that trains or runs models with this mixed_precision
     * setting: called once at each entry point (training, loading a trained model, bench), never
     * as a side effect of building a model. Returns what the matmuls compute.
     */
    public static Matmuls tune(boolean mixedPrecision) {
        tuneAllocator();
        disableNnpackWhereUnavailable();
        return configureMatmuls(mixedPrecision);
    }

    /**
     * Asks libtorch whether NNPACK initialises, with c10's warnings held back during the question
     * (the failed initialisation logs one), and switches NNPACK off when it does not.
     */
    static synchronized void disableNnpackWhereUnavailable() {
        if (nnpackChecked) {
            return;
        }
        nnpackChecked = true;
        NativeLibrary torch = libtorchCpu();
        NativeLibrary c10 = loadedLibrary("/libc10.so");
        if (torch == null || c10 == null) {
            return;
        }
        try {
            Pointer level = c10.getGlobalVariableAddress(LOG_LEVEL);
            int before = level.getInt(0);
            level.setInt(0, Math.max(before, ERROR));
            boolean available = (torch.getFunction(NNPACK_AVAILABLE).invokeInt(new Object[0]) & 0xff) != 0;
            level.setInt(0, before);
            if (!available) {
                Pointer context = torch.getFunction(GLOBAL_CONTEXT).invokePointer(new Object[0]);
                torch.getFunction(SET_NNPACK).invokeVoid(new Object[] {context, false});
            }
        } catch (UnsatisfiedLinkError e) {
            // another libtorch build: NNPACK stays as the engine has it, and so may its warnings
        }
    }

    /** Applies the allocator settings once per process; a no-op off glibc Linux. Returns whether they are in effect. */
    public static synchronized boolean tuneAllocator() {
        if (!allocatorTuned && Platform.isLinux() && !Platform.isAndroid()) {
            try {
                LibC libc = Native.load("c", LibC.class);
                allocatorTuned = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
                        & libc.mallopt(M_TRIM_THRESHOLD, Integer.MAX_VALUE) == 1
                        & libc.mallopt(M_TOP_PAD, TOP_PAD) == 1;
            } catch (UnsatisfiedLinkError e) {
                allocatorTuned = false; // not glibc (e.g. musl): the defaults stay, only slower
            }
        }
        return allocatorTuned;
    }

    /**
     * Chooses the matmul kernels for the whole process and returns what they compute. "Medium"
     * precision is taken whenever it leaves results in float32 (faster, same numbers), and
     * otherwise only when {@code mixedPrecision} asks for bfloat16. Off libtorch (symbols not
     * found) matmuls stay as the engine has them: float32.
     */
    public static synchronized Matmuls configureMatmuls(boolean mixedPrecision) {
        silenceDeprecationWarning();
        boolean mediumSet = setPrecision(MEDIUM);
        if (mediumSet && mediumRounds == null) {
            mediumRounds = roundsToBfloat16();
        }
        Matmuls mode = choose(mediumSet, mediumSet && mediumRounds, mixedPrecision);
        if (mediumSet && mode == Matmuls.FLOAT32) {
            setPrecision(HIGHEST);
        }
        matmuls = mode;
        return mode;
    }

    /**
     * The choice {@link #configureMatmuls} makes: whether "medium" precision could be set, whether
     * a matmul rounds to bfloat16 under it on this CPU (AMX Xeons: yes; this project's AMD EPYCs:
     * no), and what the config asks for.
     */
    static Matmuls choose(boolean mediumSet, boolean mediumRounds, boolean mixedPrecision) {
        if (!mediumSet) {
            return Matmuls.FLOAT32;
        }
        if (!mediumRounds) {
            return Matmuls.FLOAT32_ONEDNN;
        }
        return mixedPrecision ? Matmuls.BFLOAT16 : Matmuls.FLOAT32;
    }

    /** What the matmuls compute now: the last {@link #configureMatmuls} choice (the engine's float32 before any). */
    public static synchronized Matmuls matmuls() {
        return matmuls;
    }

    private static boolean setPrecision(int wanted) {
        NativeLibrary torch = libtorchCpu();
        if (torch == null) {
            return false;
        }
        try {
            Pointer context = torch.getFunction(GLOBAL_CONTEXT).invokePointer(new Object[0]);
            torch.getFunction(SET_PRECISION).invokeVoid(new Object[] {context, wanted});
            return torch.getFunction(GET_PRECISION).invokeInt(new Object[] {context}) == wanted;
        } catch (UnsatisfiedLinkError e) {
            return false;
        }
    }

    /**
     * Whether a matmul now rounds its inputs to bfloat16: (1 + 2^-10) times the identity is
     * exact in float32 and 1 in bfloat16, whose mantissa has 7 bits. The size is the model's.
     */
    static boolean roundsToBfloat16() {
        try (NDManager manager = NDManager.newBaseManager()) {
            float value = 1 + 0x1p-10f;
            NDArray a = manager.full(new Shape(256, 64), value);
            NDArray product = a.matMul(manager.eye(64));
            return product.getFloat(0, 0) != value;
        }
    }

    /**
     * DJL's native library enters {@code at::AutoNonVariableTypeMode}, whose constructor warns once
     * per process through a function-local static; marking that static as initialised (its
     * Itanium ABI guard byte and the flag) skips the warning and nothing else.
     */
    private static void silenceDeprecationWarning() {
        if (warningSilenced) {
            return;
        }
        warningSilenced = true;
        NativeLibrary djl = loadedLibrary("libdjl_torch.so"); // DJL names it <version>-libdjl_torch.so
        if (djl == null) {
            return;
        }
        try {
            for (String symbol : WARN_ONCE_SYMBOLS) {
                djl.getGlobalVariableAddress(symbol).setByte(0, (byte) 1);
            }
        } catch (UnsatisfiedLinkError e) {
            // another build of the native library: the warning stays, nothing else changes
        }
    }

    /** The libtorch_cpu library DJL has loaded into this process. */
    private static NativeLibrary libtorchCpu() {
        if (libtorch == null) {
            libtorch = loadedLibrary("/libtorch_cpu.so");
        }
        return libtorch;
    }

    /** A native library the engine has loaded, found through /proc/self/maps; null when absent. */
    private static NativeLibrary loadedLibrary(String nameSuffix) {
        Engine.getEngine("PyTorch"); // loads the native libraries
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                int slash = line.indexOf('/');
                if (slash >= 0 && line.endsWith(nameSuffix)) {
                    return NativeLibrary.getInstance(line.substring(slash));
                }
            }
        } catch (IOException | UnsatisfiedLinkError e) {
            return null;
        }
        return null;
    }
}
