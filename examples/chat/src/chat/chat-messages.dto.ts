import { IsIn, IsString, Matches, MaxLength } from 'class-validator';
import { ROOMS } from '../auth/demo-users.js';

export class SendMessageDto {
  @IsIn(ROOMS) room!: string;
  @IsString() @Matches(/\S/, { message: 'text must not be blank' }) @MaxLength(500) text!: string;
}

export class RoomDto {
  @IsIn(ROOMS) room!: string;
}

export class AnnounceDto {
  @IsString() @Matches(/\S/, { message: 'text must not be blank' }) @MaxLength(200) text!: string;
}
