const socket = io('/chat', { transports: ['websocket'] });
const status = document.getElementById('status');
const messages = document.getElementById('messages');
const form = document.getElementById('composer');
const nameInput = document.getElementById('name');
const textInput = document.getElementById('text');

function setStatus(text, ok) {
  status.textContent = text;
  status.classList.toggle('ok', ok);
}

socket.on('connect', () => setStatus('connected', true));
socket.on('disconnect', () => setStatus('reconnecting…', false));
socket.on('connect_error', (error) => setStatus(`cannot connect: ${error.message}`, false));

socket.on('chat:message', ({ name, text, at }) => {
  const item = document.createElement('li');
  const author = document.createElement('strong');
  const time = document.createElement('time');
  author.textContent = name;
  time.textContent = new Date(at).toLocaleTimeString();
  item.append(author, ` ${text} `, time);
  messages.append(item);
  messages.scrollTop = messages.scrollHeight;
});

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const reply = await socket.timeout(5000).emitWithAck('chat:send', { name: nameInput.value, text: textInput.value });
  if (reply.status === 'ok') textInput.value = '';
});
