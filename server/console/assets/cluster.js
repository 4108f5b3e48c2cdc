// Stepwise web console, the cluster page (#/cluster): every node of a
// PostgreSQL cluster (--cluster-shards) with its address, start, last
// heartbeat, liveness and the shards it holds, and the shards nobody holds,
// from Stepwise.DescribeCluster (read from the database, so any node shows
// the same); asked again every 5 s. clusterNavCheck un-hides the nav link
// when this node is in cluster mode. Loaded before app.js, whose helpers
// (aws, esc, fmtTime, main, pageCleanup, showError) it calls at run time;
// defines functions only.
'use strict';

function clusterShardsHtml(shards) {
  return shards.length ? `<span class="mono">${shards.map((s) => esc(s)).join(', ')}</span>` : '<span class="muted">none</span>';
}

function clusterHtml(c) {
  const nodes = c.nodes || [];
  return `<p id="cluster-summary">${esc(c.shardCount)} shards · ${nodes.filter((n) => n.live).length} of ${nodes.length} nodes live</p>
    <table id="cluster-nodes"><thead><tr><th>Node</th><th>Address</th><th>Started</th><th>Last heartbeat</th><th>Live</th><th>Shards</th></tr></thead><tbody>${
      nodes.map((n) => `<tr data-node="${esc(n.nodeId)}"><td class="mono">${esc(n.nodeId)}</td><td class="mono">${esc(n.advertiseAddress)}</td><td>${fmtTime(n.startedAt * 1000)}</td><td>${fmtTime(n.lastHeartbeat * 1000)}</td><td>${n.live ? 'yes' : '<span class="error">no</span>'}</td><td class="cluster-shards">${(n.shards || []).length} · ${clusterShardsHtml(n.shards || [])}</td></tr>`).join('')
    }</tbody></table>
    <p id="cluster-unowned">Unowned shards: ${clusterShardsHtml(c.unownedShards || [])}</p>`;
}

async function clusterPage() {
  main.innerHTML = `<h1>Cluster</h1>
    <p class="muted">Who holds which shard, as the database says now.</p>
    <div id="cluster"><p class="muted">Loading…</p></div>`;
  const box = document.getElementById('cluster');
  let timer = null;
  let closed = false;
  pageCleanup.push(() => { closed = true; clearTimeout(timer); });
  async function load() {
    clearTimeout(timer);
    let c;
    try {
      c = await aws('Stepwise.DescribeCluster', {});
    } catch (e) { if (!closed) showError(box, e); return; }
    if (closed) return;
    box.innerHTML = clusterHtml(c);
    main.dataset.ready = '1';
    timer = setTimeout(load, 5000);
  }
  await load();
}

// Shows the nav link only when this node answers DescribeCluster (cluster mode).
async function clusterNavCheck() {
  try {
    await aws('Stepwise.DescribeCluster', {});
    document.getElementById('nav-cluster').hidden = false;
  } catch { /* not in cluster mode: stays hidden */ }
}
