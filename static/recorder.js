// The candidate's recording page: device check, practice, then each question — think time, recording with a
// countdown, playback, retake or keep. Each take streams to the server while it is being recorded (MediaRecorder
// timeslices → tus resumable upload with a deferred length), so at Stop only the last slice is left to send.
// A dropped connection does not stop the recording: slices wait in the queue (Blobs, which browsers keep on disk
// when large) and the upload resumes from the server's offset when the connection returns.
(() => {
  'use strict';
  const root = document.getElementById('interview');
  if (!root) return;
  const cfg = JSON.parse(root.dataset.config);
  const T = cfg.texts;
  const $ = (id) => document.getElementById(id);
  const fill = (s, v) => s.replace(/\{(\w+)\}/g, (m, k) => (k in v ? String(v[k]) : m));
  const SLICE_MS = 1000;
  const CHUNK_BYTES = 64 * 1024;
  /// A chosen video file is sent in larger pieces: it is all there already.
  const FILE_CHUNK_BYTES = 1024 * 1024;
  const VIDEO_BITS = 1000000;
  const AUDIO_BITS = 64000;
  const RETRY_FOR_MS = 24 * 3600 * 1000;
  // Diagnostics for people and tests: the last take as recorded, and how long its upload took after Stop.
  const diag = (window.candorRecorder = { lastTake: null, lastTakeUrl: null, stopToSavedMs: [], takes: 0, retries: 0 });

  let stream = null;
  let audioContext = null;

  function show(id) {
    for (const s of ['device', 'practice', 'question']) $(s).hidden = s !== id;
  }
  function say(msg) {
    $('status').textContent = msg || '';
  }
  function problem(msg) {
    $('problem').textContent = msg || '';
    $('problem').hidden = !msg;
  }
  function focusHeading(id) {
    const h = $(id);
    if (h) h.focus();
  }

  // ---- environment ----

  const inAppBrowser = /FBAN|FBAV|FB_IAB|Instagram|LinkedInApp|Line\/|; wv\)/i.test(navigator.userAgent);

  function mimeType() {
    const video = ['video/webm;codecs=vp8,opus', 'video/webm;codecs=vp9,opus', 'video/webm', 'video/mp4;codecs=avc1,mp4a.40.2', 'video/mp4'];
    const audio = ['audio/webm;codecs=opus', 'audio/webm', 'audio/mp4'];
    const list = cfg.audio_only ? audio : video;
    return list.find((t) => window.MediaRecorder && MediaRecorder.isTypeSupported(t)) || '';
  }

  function environmentProblem() {
    if (inAppBrowser) return 'in_app';
    if (!window.isSecureContext) return 'insecure';
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.MediaRecorder) return 'unsupported';
    return null;
  }

  function explain(kind) {
    const messages = {
      in_app: T.err_in_app,
      insecure: T.err_insecure,
      unsupported: T.err_unsupported,
      denied: T.err_denied,
      no_device: T.err_no_device,
      busy: T.err_busy,
    };
    problem(messages[kind] || T.err_unsupported);
    root.dataset.problem = kind;
    $('copy-link').hidden = kind !== 'in_app';
    $('allow').textContent = kind === 'in_app' || kind === 'unsupported' || kind === 'insecure' ? T.allow : T.try_again;
  }

  function errorKind(e) {
    switch (e && e.name) {
      case 'NotAllowedError':
      case 'SecurityError':
        return 'denied';
      case 'NotFoundError':
      case 'OverconstrainedError':
        return 'no_device';
      case 'NotReadableError':
      case 'AbortError':
        return 'busy';
      default:
        return 'unsupported';
    }
  }

  /// What every upload of a take does, recorded or chosen as a file: keep retrying while the network is away — as
  /// long as the server keeps an unfinished upload (24 hours) — but not on the server's refusals; count the take
  /// once the server has made it (`created` gets its URL).
  function takeUpload(q, created) {
    return {
      retryDelays: [0, 500, 1000, 2000, 3000].concat(Array(RETRY_FOR_MS / 5000).fill(5000)),
      onShouldRetry: (err) => {
        const status = err.originalResponse ? err.originalResponse.getStatus() : 0;
        const retry = !(status >= 400 && status < 500 && status !== 409 && status !== 423) && status !== 507;
        if (retry) diag.retries += 1;
        return retry;
      },
      onAfterResponse: (req, res) => {
        if (req.getMethod() === 'POST' && res.getStatus() === 201) {
          created(res.getHeader('Location'));
          q.takes_used += 1;
          diag.takes += 1;
        }
      },
    };
  }

  // ---- device check ----

  /// The meter's audio context, made (or resumed) in the click that starts the device check: browsers start an
  /// AudioContext suspended unless a user gesture allowed it, and a suspended one reads silence. One still
  /// suspended is resumed on the candidate's next click or key.
  function audioContextFromGesture() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    audioContext = audioContext || new Ctx();
    if (audioContext.state === 'suspended') {
      audioContext.resume().catch(() => {});
      const again = () => {
        if (audioContext.state !== 'suspended') return;
        audioContext.resume().catch(() => {});
      };
      document.addEventListener('pointerdown', again, { capture: true });
      document.addEventListener('keydown', again, { capture: true });
    }
    return audioContext;
  }

  /// How long the microphone may give nothing but silence before the candidate is told.
  const SILENCE_MS = 4000;

  function startMeter(s) {
    const track = s.getAudioTracks()[0];
    if (!track || !audioContext) return;
    const source = audioContext.createMediaStreamSource(s);
    const analyser = audioContext.createAnalyser();
    analyser.fftSize = 512;
    source.connect(analyser);
    const data = new Uint8Array(analyser.fftSize);
    let heardAt = performance.now();
    let warned = false;
    const tick = () => {
      analyser.getByteTimeDomainData(data);
      let sum = 0;
      for (const v of data) sum += ((v - 128) / 128) ** 2;
      const level = Math.min(1, Math.sqrt(sum / data.length) * 4);
      $('level').value = level;
      const now = performance.now();
      if (level > 0.01 || audioContext.state !== 'running') {
        if (level > 0.01) heardAt = now;
        if (warned && level > 0.01) {
          warned = false;
          $('mic-silent').hidden = true;
        }
      } else if (!warned && now - heardAt > SILENCE_MS && !$('device').hidden) {
        warned = true;
        $('mic-silent').hidden = false;
      }
      if (stream === s) requestAnimationFrame(tick);
    };
    tick();
  }

  async function askForDevices() {
    // Still inside the click: the meter's audio may start.
    audioContextFromGesture();
    problem('');
    const env = environmentProblem();
    if (env) {
      explain(env);
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia(
        cfg.audio_only ? { audio: true } : { audio: true, video: { width: { ideal: 1280 }, height: { ideal: 720 } } },
      );
    } catch (e) {
      explain(errorKind(e));
      return;
    }
    root.dataset.problem = '';
    if (!cfg.audio_only) $('preview').srcObject = stream;
    startMeter(stream);
    $('allow').hidden = true;
    $('device-ok').hidden = false;
    $('device-ok').focus();
  }

  // ---- recording ----

  let reloading = false;
  /// The server refused an upload: reload, and the server shows where things stand (the closed page, or the
  /// question to record again).
  function refused() {
    if (reloading) return;
    reloading = true;
    if (stream) stream.getTracks().forEach((t) => t.stop());
    window.location.reload();
  }

  /// The server cannot take a new recording (507): stop, and tell the candidate to come back later.
  function storageFull() {
    if (stream) stream.getTracks().forEach((t) => t.stop());
    $('stop').hidden = true;
    $('record').hidden = true;
    problem(T.server_full);
  }

  /// A queue of recorded slices that tus-js-client reads like a stream reader.
  class SliceQueue {
    constructor() {
      this.items = [];
      this.waiting = null;
      this.closed = false;
    }
    push(blob) {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w({ value: blob, done: false });
      } else {
        this.items.push(blob);
      }
    }
    close() {
      this.closed = true;
      if (this.waiting && this.items.length === 0) {
        const w = this.waiting;
        this.waiting = null;
        w({ value: undefined, done: true });
      }
    }
    read() {
      return new Promise((resolve) => {
        if (this.items.length) resolve({ value: this.items.shift(), done: false });
        else if (this.closed) resolve({ value: undefined, done: true });
        else this.waiting = resolve;
      });
    }
    cancel() {}
  }

  /// Records from the stream; with `question`, uploads while recording. Resolves when Stop is pressed (or the time
  /// is up) with the recorded Blob, and — for a question — when the upload has finished.
  function record(maxSeconds, timerEl, question, onStarted) {
    const type = mimeType();
    // About 1 Mbit/s for video (plenty for a face at 720p) keeps uploads ahead of the recording on a 2 Mbit/s uplink.
    // A key frame every 2 s keeps seeking in the rewritten recording quick (browsers without the option ignore it).
    const options = { videoBitsPerSecond: VIDEO_BITS, audioBitsPerSecond: AUDIO_BITS, videoKeyFrameIntervalDuration: 2000 };
    if (type) options.mimeType = type;
    const recorder = new MediaRecorder(stream, options);
    const parts = [];
    const queue = new SliceQueue();
    let upload = null;
    let uploadDone = null;
    let takeUrl = null;
    let stoppedAt = 0;
    if (question) {
      uploadDone = new Promise((resolve, reject) => {
        upload = new tus.Upload(queue, {
          endpoint: cfg.uploads,
          chunkSize: CHUNK_BYTES,
          uploadLengthDeferred: true,
          metadata: { question: question.id, filetype: type || 'video/webm' },
          storeFingerprintForResuming: false,
          ...takeUpload(question, (url) => {
            takeUrl = url;
          }),
          // Refused (the link closed — disabled, withdrawn, past the deadline — or the upload expired): the server's
          // page says what now, so go there rather than record on for nothing.
          onError: (e) => {
            reject(e);
            const status = e.originalResponse ? e.originalResponse.getStatus() : 0;
            if (status === 507) {
              // The server is short of storage: nothing of this take can be kept, so stop and say so.
              if (recorder.state !== 'inactive') recorder.stop();
              storageFull();
            } else refused();
          },
          onSuccess: () => {
            if (stoppedAt) diag.stopToSavedMs.push(Math.round(performance.now() - stoppedAt));
            resolve(takeUrl || upload.url);
          },
        });
        upload.start();
      });
    }
    recorder.ondataavailable = (e) => {
      if (e.data && e.data.size > 0) {
        parts.push(e.data);
        if (question) queue.push(e.data);
      }
    };
    let left = maxSeconds;
    const label = () => {
      timerEl.textContent = fill(T.recording_left, { s: left });
    };
    return new Promise((resolve) => {
      let timer = null;
      const stop = () => {
        if (recorder.state === 'inactive') return;
        clearInterval(timer);
        stoppedAt = performance.now();
        recorder.stop();
      };
      recorder.onstop = () => {
        queue.close();
        const blob = new Blob(parts, { type: recorder.mimeType || type || 'video/webm' });
        resolve({ blob, uploadDone, stop });
      };
      recorder.start(SLICE_MS);
      label();
      timer = setInterval(() => {
        left -= 1;
        if (left <= 0) stop();
        else label();
      }, 1000);
      onStarted(stop);
    });
  }

  /// A recording played from its Blob often has no duration (Infinity) until it has been read to its end, so it
  /// cannot be scrubbed: seek far past the end once, silently, and come back to the start when the duration is known.
  function scrubbable(video) {
    video.addEventListener(
      'loadedmetadata',
      () => {
        if (Number.isFinite(video.duration)) return;
        const back = () => {
          if (!Number.isFinite(video.duration)) return;
          video.removeEventListener('durationchange', back);
          video.removeEventListener('timeupdate', back);
          video.currentTime = 0;
        };
        video.addEventListener('durationchange', back);
        video.addEventListener('timeupdate', back);
        video.currentTime = 1e101;
      },
      { once: true },
    );
  }

  // ---- practice ----

  async function practice() {
    show('practice');
    focusHeading('practice-heading');
    const video = $('practice-video');
    if (!cfg.audio_only) {
      video.srcObject = stream;
      video.muted = true;
      video.play().catch(() => {});
    }
    const run = async () => {
      $('practice-record').hidden = true;
      $('practice-again').hidden = true;
      $('practice-stop').hidden = false;
      video.controls = false;
      video.removeAttribute('src');
      video.srcObject = cfg.audio_only ? null : stream;
      video.muted = true;
      // Setting a source pauses the element: play it, so the candidate sees themself while the practice records.
      if (!cfg.audio_only) video.play().catch(() => {});
      const { blob } = await record(30, $('practice-timer'), null, (stop) => {
        $('practice-stop').onclick = stop;
      });
      $('practice-stop').hidden = true;
      $('practice-timer').textContent = '';
      video.srcObject = null;
      scrubbable(video);
      video.src = URL.createObjectURL(blob);
      video.muted = false;
      video.controls = true;
      $('practice-again').hidden = false;
      $('to-questions').textContent = T.to_questions;
    };
    $('practice-record').onclick = run;
    $('practice-again').onclick = run;
    await new Promise((resolve) => {
      $('to-questions').onclick = resolve;
    });
  }

  // ---- questions ----

  function upfrontList() {
    if (!cfg.upfront) return;
    const list = $('upfront-list');
    list.textContent = '';
    for (const q of cfg.questions) {
      const li = document.createElement('li');
      li.textContent = q.text;
      list.appendChild(li);
    }
    $('upfront').hidden = false;
  }

  /// The shortest countdown before a recording that starts by itself, in seconds.
  const MIN_COUNTDOWN_S = 3;

  function thinkTime(q) {
    // Resolves when recording should start: at the end of the think time, or when the candidate starts earlier.
    return new Promise((resolve) => {
      const button = $('record');
      button.hidden = false;
      button.disabled = false;
      button.onclick = () => {
        clearInterval(timer);
        resolve();
      };
      let timer = null;
      if (q.think_seconds === null || q.think_seconds === undefined) {
        $('timer').textContent = T.think_no_limit;
        return;
      }
      // Recording never starts unannounced: at least a 3-2-1 countdown, even with no time to think.
      let left = Math.max(q.think_seconds, MIN_COUNTDOWN_S);
      const label = () => {
        $('timer').textContent = fill(T.think_left, { s: left });
      };
      label();
      timer = setInterval(() => {
        left -= 1;
        if (left <= 0) {
          clearInterval(timer);
          resolve();
        } else label();
      }, 1000);
    });
  }

  async function keep(q, takeUrl) {
    const takeId = takeUrl.split('/').pop();
    const notes = q.notes_allowed ? $('notes').value : null;
    for (;;) {
      try {
        const res = await fetch(cfg.answers + encodeURIComponent(q.id), {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ take_id: takeId, notes, csrf: cfg.csrf }),
        });
        const body = await res.json().catch(() => ({}));
        if (res.ok) return body.completed;
        if (res.status >= 500) throw new Error(body.error || res.statusText);
        problem(body.error || res.statusText);
        if (res.status === 410) window.location.reload();
        return null;
      } catch (e) {
        problem(T.upload_failed);
        await new Promise((r) => setTimeout(r, 3000));
      }
    }
  }

  /// Shows question `index`, clean: its heading, text and instructions, no status left from the one before.
  function showQuestion(q, index) {
    show('question');
    problem('');
    say('');
    $('question-heading').textContent = fill(T.question_of, { n: index + 1, total: cfg.questions.length });
    $('question-text').textContent = q.text;
    $('question-instructions').textContent = q.instructions || '';
    $('notes-field').hidden = !q.notes_allowed;
    $('notes').value = '';
    focusHeading('question-heading');
  }

  /// Waits for Keep (resolving to the keep's outcome: true when that completed the interview, null when the server
  /// refused it) or Record again ('retake').
  async function keepOrRetake(q, takeUrl) {
    const playback = $('playback');
    $('decide').hidden = false;
    const canRetake = q.takes_used < q.max_takes;
    $('retake').hidden = !canRetake;
    if (!canRetake) say(T.saved + ' ' + T.no_takes_left);
    $('keep').focus();
    const choice = await new Promise((resolve) => {
      $('keep').onclick = () => resolve('keep');
      $('retake').onclick = () => resolve('retake');
    });
    playback.pause();
    if (choice === 'retake') return 'retake';
    $('keep').disabled = true;
    const completed = await keep(q, takeUrl);
    $('keep').disabled = false;
    return completed;
  }

  /// Uploads a video file the candidate chose as a take of `q`, resuming an earlier try of the same file; resolves to
  /// the take's URL, rejects with the server's status when it refuses the file.
  function uploadFile(q, file) {
    const bar = $('file-progress');
    return new Promise((resolve, reject) => {
      let takeUrl = null;
      const upload = new tus.Upload(file, {
        endpoint: cfg.uploads,
        chunkSize: FILE_CHUNK_BYTES,
        metadata: { question: q.id, filetype: file.type || 'video/mp4' },
        storeFingerprintForResuming: true,
        removeFingerprintOnSuccess: true,
        ...takeUpload(q, (url) => {
          takeUrl = url;
        }),
        onProgress: (sent, total) => {
          bar.hidden = false;
          bar.value = total ? sent / total : 0;
          say(fill(T.file_uploading, { p: total ? Math.floor((100 * sent) / total) : 0 }));
        },
        onError: (e) => reject(e.originalResponse ? e.originalResponse.getStatus() : 0),
        onSuccess: () => resolve(takeUrl || upload.url),
      });
      upload.findPreviousUploads().then((previous) => {
        if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
        upload.start();
      });
    });
  }

  /// A question answered with a video file from the camera app (or the library), for browsers that cannot record.
  async function answerWithFile(q, index) {
    showQuestion(q, index);
    const input = $('file-input');
    const playback = $('playback');
    $('live').hidden = true;
    $('record').hidden = true;
    $('timer').textContent = '';
    $('file-answer').hidden = false;
    for (;;) {
      $('decide').hidden = true;
      playback.hidden = true;
      $('take-label').textContent = fill(T.take_of, { n: q.takes_used + 1, max: q.max_takes });
      input.value = '';
      const file = await new Promise((resolve) => {
        input.onchange = () => input.files[0] && resolve(input.files[0]);
      });
      problem('');
      let takeUrl;
      try {
        takeUrl = await uploadFile(q, file);
      } catch (status) {
        $('file-progress').hidden = true;
        say('');
        if (status === 415) {
          // Not a recording: the server gave the take back.
          q.takes_used = Math.max(0, q.takes_used - 1);
          problem(T.file_refused);
          continue;
        }
        if (status === 413) {
          problem(T.file_too_large);
          continue;
        }
        if (status === 507) {
          storageFull();
        } else refused();
        return new Promise(() => {});
      }
      $('file-progress').hidden = true;
      diag.lastTake = file;
      diag.lastTakeUrl = takeUrl;
      say(T.saved);
      scrubbable(playback);
      playback.src = URL.createObjectURL(file);
      playback.hidden = false;
      const outcome = await keepOrRetake(q, takeUrl);
      if (outcome === 'retake' || outcome === null) continue;
      $('file-answer').hidden = true;
      q.kept = true;
      return outcome;
    }
  }

  async function answer(q, index) {
    showQuestion(q, index);
    const live = $('live');
    const playback = $('playback');
    for (;;) {
      say('');
      $('decide').hidden = true;
      playback.hidden = true;
      playback.removeAttribute('src');
      live.hidden = cfg.audio_only;
      if (!cfg.audio_only) live.srcObject = stream;
      $('take-label').textContent = fill(T.take_of, { n: q.takes_used + 1, max: q.max_takes });
      await thinkTime(q);
      $('record').hidden = true;
      $('stop').hidden = false;
      $('stop').focus();
      const { blob, uploadDone } = await record(q.max_answer_seconds, $('timer'), q, (stop) => {
        $('stop').onclick = stop;
      });
      $('stop').hidden = true;
      $('timer').textContent = '';
      diag.lastTake = blob;
      say(T.saving);
      let takeUrl;
      try {
        takeUrl = await uploadDone;
      } catch (e) {
        // Refused by the server: the page is reloading (see `refused`).
        return new Promise(() => {});
      }
      diag.lastTakeUrl = takeUrl;
      say(T.saved);
      live.hidden = true;
      scrubbable(playback);
      playback.src = URL.createObjectURL(blob);
      playback.hidden = false;
      const outcome = await keepOrRetake(q, takeUrl);
      if (outcome === 'retake' || outcome === null) continue;
      q.kept = true;
      return outcome;
    }
  }

  async function questions(answerOne) {
    upfrontList();
    for (let i = 0; i < cfg.questions.length; i++) {
      const q = cfg.questions[i];
      if (q.kept) continue;
      const completed = await answerOne(q, i);
      if (completed) break;
    }
    if (stream) stream.getTracks().forEach((t) => t.stop());
    // The server now shows the answered page with the outro.
    window.location.reload();
  }

  // ---- flow ----

  window.addEventListener('offline', () => say(T.offline));
  window.addEventListener('online', () => say(T.back_online));
  $('withdraw-form').addEventListener('submit', (e) => {
    if (!window.confirm(T.withdraw_confirm)) e.preventDefault();
  });
  $('copy-link').addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(window.location.href);
      say(T.copied);
    } catch (e) {
      window.prompt(T.copy_link, window.location.href);
    }
  });

  async function main() {
    show('device');
    $('device-intro').textContent = cfg.audio_only ? T.device_intro_audio : T.device_intro;
    $('preview').hidden = cfg.audio_only;
    const env = environmentProblem();
    if (env) explain(env);
    // A browser that cannot record here (no MediaRecorder, an in-app browser) can still answer with a video file.
    const canUseFiles = !cfg.audio_only && (env === 'unsupported' || env === 'in_app');
    $('use-file').hidden = !canUseFiles;
    const how = await new Promise((resolve) => {
      $('allow').onclick = askForDevices;
      $('device-ok').onclick = () => resolve('record');
      $('use-file').onclick = () => resolve('file');
    });
    if (how === 'file') {
      await questions(answerWithFile);
      return;
    }
    const started = cfg.questions.some((q) => q.takes_used > 0);
    if (!started) await practice();
    await questions(answer);
  }

  main();
})();
