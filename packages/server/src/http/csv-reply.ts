import type { FastifyReply } from 'fastify';
import { startStream, type CsvExport } from '../lib/csv.js';

/**
 * Sends a streamed CSV export as a download. The first chunk (header and first page) is read before the
 * reply starts, so bad input or a failing first read is a normal JSON error; later failures end the
 * stream (a truncated download). Pages are read only as fast as the client takes them.
 */
export async function sendCsvExport(reply: FastifyReply, { filename, chunks }: CsvExport): Promise<FastifyReply> {
  const body = await startStream(chunks);
  return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename}"`).header('cache-control', 'no-store').send(body);
}
