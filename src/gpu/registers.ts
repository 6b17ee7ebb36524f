/**
 * Reading what scripts/vk-stats (a Vulkan layer) writes of each compute pipeline the driver made,
 * and what a register count means for how many workgroups a multiprocessor holds at once
 * (docs/design.md, "Registers, measured").
 */

/** One pipeline executable as the layer wrote it: its entry point and its statistics. */
export interface PipelineExecutable {
  entry: string;
  stats: Record<string, string>;
}

/** A line of the layer's file: `entry=<name>\t<statistic>=<value>\t…`. */
export function parseStatsLine(line: string): PipelineExecutable {
  const fields: Record<string, string> = {};
  for (const field of line.split('\t')) {
    const at = field.indexOf('=');
    if (at > 0) fields[field.slice(0, at)] = field.slice(at + 1);
  }
  const { entry = '?', ...stats } = fields;
  return { entry, stats };
}

/** NVIDIA's "Register Count" of an executable, where its driver reported one. */
export function registerCount(e: PipelineExecutable | undefined): number | undefined {
  const text = e?.stats['Register Count'];
  const n = text === undefined ? NaN : Number(text);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * Workgroups of `lanes` lanes at `registers` a lane that one NVIDIA multiprocessor holds at once
 * (Volta to Hopper: 65 536 registers, given out 8 a lane at a time; at most 2 048 lanes), not
 * counting workgroup memory. 48 registers: 5 of 256 lanes; 49 to 64: 4.
 */
export function residentWorkgroups(registers: number, lanes: number): number {
  return Math.min(
    Math.floor(2048 / lanes),
    Math.floor(65536 / (lanes * Math.ceil(registers / 8) * 8)),
  );
}
