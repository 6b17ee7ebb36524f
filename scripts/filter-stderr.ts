/**
 * stdin to stdout less Dawn's lavapipe limit notes (src/stderr-filter.ts), as the CLI filters its
 * own stderr: scripts/test.sh runs the tests' stderr through it, where every device a test opens
 * in-process on lavapipe would print two such lines.
 */
import { lineFilter } from '../src/stderr-filter.ts';

const filter = lineFilter((text) => process.stdout.write(text));
process.stdin.setEncoding('utf8').on('data', (chunk: string) => filter.push(chunk));
process.stdin.on('end', () => filter.end());
