package org.tlbjava.model;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.tlbjava.model.EngineTuning.Matmuls;

/**
 * Every branch of the matmul precision choice, whatever this CPU is: an AMD EPYC takes the
 * float32-on-oneDNN branch, an AMX Xeon the bfloat16 one, and the probe decides which.
 */
class EngineTuningTest {
    @AfterEach
    void restore() {
        EngineTuning.configureMatmuls(true);
    }

    @Test
    void theChoiceFollowsTheProbeAndTheSetting() {
        assertEquals(Matmuls.FLOAT32, EngineTuning.choose(false, false, true), "no libtorch symbols: as the engine has it");
        assertEquals(Matmuls.FLOAT32, EngineTuning.choose(false, true, true));
        assertEquals(Matmuls.FLOAT32_ONEDNN, EngineTuning.choose(true, false, true), "AMD EPYC: unrounded either way");
        assertEquals(Matmuls.FLOAT32_ONEDNN, EngineTuning.choose(true, false, false));
        assertEquals(Matmuls.BFLOAT16, EngineTuning.choose(true, true, true), "AMX: bf16 when mixed_precision asks");
        assertEquals(Matmuls.FLOAT32, EngineTuning.choose(true, true, false), "AMX: float32 otherwise");
    }

    /** On this CPU: the setting in force is the one configured last, and its probe agrees with it. */
    @Test
    void theReportedModeIsTheOneInForce() {
        for (boolean mixed : new boolean[] {true, false, true}) {
            Matmuls mode = EngineTuning.configureMatmuls(mixed);
            assertEquals(mode, EngineTuning.matmuls());
            assertEquals(mode == Matmuls.BFLOAT16, EngineTuning.roundsToBfloat16(), mode.toString());
            if (!mixed) {
                assertNotEquals(Matmuls.BFLOAT16, mode, "mixed_precision=false is float32 on every CPU");
            }
        }
    }
}
