import { readFile } from 'node:fs/promises';

/**
 * What the README's prose assumes around its fragments: the services a host injects, a socket, a user
 * store. Declared, not implemented: the fragments are type-checked, not run.
 */
const FRAGMENT_PREAMBLE = `
import { CanActivate, ExecutionContext, Injectable, INestApplication, Module, ServiceUnavailableException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import type { Server as HttpServer } from 'node:http';
import type { Server, Socket } from 'socket.io';
import { PresenceService, RealtimeModule, RedisIoAdapter, RedisNotConnectedError, RoomService, WebsocketBroadcastService, WsAuth, WsUser } from 'nestjs-realtime';
declare const presence: PresenceService, rooms: RoomService, broadcast: WebsocketBroadcastService;
declare const app: INestApplication, httpServer: HttpServer, client: Socket;
declare const id: string, secret: string, msg: unknown, job: { userId: string; id: string };
declare const users: { findActive(id: string): Promise<{ id: string; roles: string[] } | null> };
interface User { sub: string; roles?: string[] }
class SendDto { text!: string }
`;

/**
 * Every TypeScript block of the README as a file to compile: a block that starts with `// name.ts` is
 * that module as written (so the blocks of one app import each other); any other block is a fragment,
 * compiled as the body of an async function after a preamble that declares what the prose assumes.
 */
export async function readmeTypeScript(readmePath: string): Promise<Map<string, string>> {
  const readme = await readFile(readmePath, 'utf8');
  const files = new Map<string, string>();
  [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].forEach(([, block], index) => {
    const named = /^\/\/ ([\w.-]+\.ts)\n/.exec(block);
    if (named) return void files.set(named[1], block);
    const lines = block.split('\n');
    const imports = lines.filter((line) => line.startsWith('import '));
    const body = lines.filter((line) => !line.startsWith('import ')).map((line) => line.replace(/^export (class|function|const) /, '$1 '));
    files.set(
      `fragment-${index}.ts`,
      [FRAGMENT_PREAMBLE, ...imports, 'export async function example(): Promise<unknown> {', ...body, '  return undefined;', '}', ''].join(
        '\n',
      ),
    );
  });
  return files;
}
