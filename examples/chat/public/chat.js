// The example's browser side: plain JavaScript over the socket.io client the server serves.
const $ = (id) => document.getElementById(id);
const state = { token: null, user: null, room: null, chat: null, notifications: null, online: new Map(), typingTimer: null };

function showError(text) {
  $('error-text').textContent = text;
  $('error').hidden = false;
}

function clearError() {
  $('error').hidden = true;
}

/** Shows a failed ack ({ status: 'error', code, message }) the way the user should read it. */
function check(reply) {
  if (reply?.status === 'error') showError(`${reply.code}: ${reply.message}`);
  return reply?.status !== 'error';
}

function setStatus(text, ok) {
  $('status').textContent = text;
  $('status').classList.toggle('ok', ok);
}

function item(list, ...parts) {
  const li = document.createElement('li');
  li.append(...parts);
  $(list).append(li);
  $(list).scrollTop = $(list).scrollHeight;
  return li;
}

function text(tag, value, className) {
  const node = document.createElement(tag);
  node.textContent = value;
  if (className) node.className = className;
  return node;
}

/** The online list shows names, like the messages; `state.online` maps user ids to them. */
function renderOnline() {
  const names = [...state.online.values()].sort((a, b) => a.localeCompare(b));
  $('online').replaceChildren(...names.map((name) => text('li', name)));
}

async function refreshOnline() {
  const members = await state.chat.emitWithAck('chat:who', { room: state.room });
  state.online = new Map(members.map(({ userId, name }) => [userId, name]));
  renderOnline();
}

/** Sending only makes sense while connected and in a room. */
function setComposerEnabled(enabled) {
  $('text').disabled = !enabled;
  document.querySelector('[data-testid=send]').disabled = !enabled;
}

async function login(event) {
  event.preventDefault();
  clearError();
  const form = new FormData(event.target);
  const response = await fetch('/api/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: form.get('username'), password: form.get('password') }),
  });
  const body = await response.json();
  if (!response.ok) return showError(body.message ?? 'Sign-in failed');
  state.token = body.token;
  state.user = body.user;
  $('whoami').textContent = `${body.user.name}${body.user.roles.includes('admin') ? ' (admin)' : ''}`;
  $('login').hidden = true;
  $('app').hidden = false;
  connect();
}

function connect() {
  const options = { auth: { token: state.token }, transports: ['websocket'] };
  state.chat = io('/chat', options);
  state.notifications = io('/notifications', options);

  state.chat.on('connect', () => {
    setStatus('connected', true);
    if (state.room) joinRoom(state.room);
  });
  state.chat.on('disconnect', () => {
    setStatus('reconnecting…', false);
    // Nothing shown may pretend to be live: who is online is unknown until the room is joined again.
    state.online.clear();
    renderOnline();
    setComposerEnabled(false);
  });
  state.chat.on('connect_error', (error) => {
    setStatus('offline', false);
    showError(`Cannot connect: ${error.message} (${error.data?.code ?? 'network'})`);
  });
  state.chat.on('exception', (error) => showError(`${error.code}: ${error.message}`));
  state.chat.on('auth:expired', () => showError('Your session expired: sign in again.'));

  state.chat.on('chat:message', ({ room, name, text: body, at }) => {
    if (room !== state.room) return;
    item('messages', text('strong', name), ` ${body} `, text('time', new Date(at).toLocaleTimeString()));
    $('typing').textContent = '';
  });
  state.chat.on('chat:announcement', ({ text: body, from }) =>
    item('messages', text('strong', `📣 ${from}`), ` ${body}`).classList.add('announcement'),
  );
  state.chat.on('chat:typing', ({ room, name }) => {
    if (room !== state.room) return;
    $('typing').textContent = `${name} is typing…`;
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(() => ($('typing').textContent = ''), 2000);
  });
  state.chat.on('presence:diff', ({ room, joined, left }) => {
    if (room !== state.room) return;
    left.forEach((userId) => state.online.delete(userId));
    renderOnline();
    // A diff carries ids; the names of newcomers come with the room's member list.
    if (joined.some((userId) => !state.online.has(userId))) refreshOnline();
  });

  state.notifications.on('notification', ({ text: body, from }) => item('notifications', text('strong', from), ` ${body}`));
  state.notifications.on('price', ({ price }) => ($('price').textContent = price));
}

async function joinRoom(room) {
  clearError();
  // Join first: a refused join must not cost the room the user is in.
  if (!check(await state.chat.emitWithAck('room:join', { room }))) return;
  if (state.room && state.room !== room) await state.chat.emitWithAck('room:leave', { room: state.room });
  state.room = room;
  $('room-name').textContent = `#${room}`;
  $('messages').replaceChildren();
  document.querySelectorAll('[data-room]').forEach((button) => button.classList.toggle('active', button.dataset.room === room));
  setComposerEnabled(true);
  $('text').placeholder = `Message #${room}`;
  await refreshOnline();
}

$('login-form').addEventListener('submit', login);
document.querySelectorAll('[data-room]').forEach((button) => button.addEventListener('click', () => joinRoom(button.dataset.room)));

$('composer').addEventListener('submit', async (event) => {
  event.preventDefault();
  clearError();
  const message = $('text').value;
  if (!message.trim()) return;
  // Cleared now, not when the server answers: what the user types meanwhile is the next message.
  $('text').value = '';
  if (!check(await state.chat.emitWithAck('chat:send', { room: state.room, text: message })) && !$('text').value) $('text').value = message;
});
$('error-close').addEventListener('click', clearError);
$('text').addEventListener('input', () => state.room && state.chat.emit('chat:typing', { room: state.room }));

$('nudge').addEventListener('submit', async (event) => {
  event.preventDefault();
  clearError();
  const userId = $('nudge-user').value.trim();
  const response = await fetch(`/api/notifications/${encodeURIComponent(userId)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${state.token}` },
    body: JSON.stringify({ text: 'says hi' }),
  });
  if (!response.ok) showError((await response.json()).message);
});

$('announce').addEventListener('submit', async (event) => {
  event.preventDefault();
  clearError();
  if (check(await state.chat.emitWithAck('chat:announce', { text: $('announce-text').value }))) $('announce-text').value = '';
});
