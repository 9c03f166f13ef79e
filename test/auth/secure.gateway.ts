import { NotFoundException, StandardSchemaValidationPipe, UseFilters, UsePipes, ValidationPipe } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  WsException,
  type OnGatewayConnection,
} from '@nestjs/websockets';
import { IsInt, IsString, Min, MinLength } from 'class-validator';
import type { Socket } from 'socket.io';
import { RealtimeExceptionFilter, WsAuth, WsUser } from '../../lib/index.js';

export class ChatMessageDto {
  @IsString() @MinLength(1) text!: string;
  @IsInt() @Min(0) priority!: number;
}

/** A Standard Schema (what zod, valibot or arktype provide), written by hand to need none of them. */
export const ChatMessageSchema = {
  '~standard': {
    version: 1 as const,
    vendor: 'test',
    validate: (value: unknown) => {
      const text = (value as { text?: unknown } | undefined)?.text;
      return typeof text === 'string' && text !== '' ? { value } : { issues: [{ message: 'Required', path: ['text'] }] };
    },
  },
};

/** Every handler a client may reach only when authenticated; the refusals and errors each produce. */
@WebSocketGateway()
@WsAuth()
export class SecureGateway implements OnGatewayConnection {
  handleConnection(client: Socket): void {
    client.data.userAtConnection = client.data.user ?? null;
  }

  @SubscribeMessage('whoami')
  whoami(@WsUser() user: unknown, @WsUser('sub') sub: string, @ConnectedSocket() client: Socket) {
    return { user, sub, rooms: [...client.rooms].filter((room) => room !== client.id), atConnection: client.data.userAtConnection };
  }

  @WsAuth({ roles: ['admin'] })
  @SubscribeMessage('announce')
  announce(@MessageBody() text: string): string {
    return `announced: ${text}`;
  }

  @WsAuth({ policy: (user: { sub: string }, _client, data) => (data as { owner?: string })?.owner === user.sub })
  @SubscribeMessage('edit')
  edit(): string {
    return 'edited';
  }

  @SubscribeMessage('send')
  @UsePipes(new ValidationPipe())
  send(@MessageBody() message: ChatMessageDto): string {
    return `sent: ${message.text}`;
  }

  @SubscribeMessage('send:schema')
  @UsePipes(new StandardSchemaValidationPipe())
  sendBySchema(@MessageBody({ schema: ChatMessageSchema }) message: { text: string }): string {
    return `sent: ${message.text}`;
  }

  @SubscribeMessage('fail:ws')
  failWs(): never {
    throw new WsException('Room is full');
  }

  @SubscribeMessage('fail:http')
  failHttp(): never {
    throw new NotFoundException('No such room');
  }

  @SubscribeMessage('fail:error')
  failError(): never {
    throw new Error('connection to db://admin:hunter2@db failed');
  }

  @SubscribeMessage('fail:async')
  async failAsync(): Promise<never> {
    throw new TypeError('Cannot read properties of undefined');
  }
}

/** A gateway without auth that opts into the error contract. */
@WebSocketGateway({ namespace: '/open' })
@UseFilters(RealtimeExceptionFilter)
export class OpenGateway {
  @SubscribeMessage('fail:error')
  failError(): never {
    throw new Error('internal detail');
  }

  @SubscribeMessage('echo')
  echo(@MessageBody() data: unknown): unknown {
    return data;
  }
}
