import { IsIn, IsString, MaxLength, MinLength } from 'class-validator';
import { ROOMS } from '../auth/demo-users.js';

export class SendMessageDto {
  @IsIn(ROOMS) room!: string;
  @IsString() @MinLength(1) @MaxLength(500) text!: string;
}

export class RoomDto {
  @IsIn(ROOMS) room!: string;
}

export class AnnounceDto {
  @IsString() @MinLength(1) @MaxLength(200) text!: string;
}
