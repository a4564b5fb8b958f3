/**
 * The console's whole stylesheet. A constant (never data), inlined by the
 * layout under a per-response CSP nonce: one round trip, no asset pipeline.
 */
export const CSS = `
:root{--bg:#f4f5f7;--card:#fff;--line:#e2e5ea;--line2:#eef0f3;--ink:#16191f;--ink2:#4b5361;--ink3:#7a8291;
--red:#c62828;--red-bg:#fdecec;--amber:#a15c00;--amber-bg:#fff4df;--green:#1b7f3b;--green-bg:#e6f5eb;
--blue:#1f5fbf;--blue-bg:#e8f0fd;--violet:#6a3fb5;--violet-bg:#f1ebfb;--gray-bg:#eef0f3;--brand:#111827}
*{box-sizing:border-box}
html,body{margin:0;background:var(--bg);color:var(--ink);font:13.5px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
a{color:var(--blue);text-decoration:none}a:hover{text-decoration:underline}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
header.top{background:var(--brand);color:#e5e7eb;display:flex;align-items:center;gap:18px;padding:0 20px;height:48px}
header.top .brand{font-weight:700;color:#fff;letter-spacing:.2px;font-size:15px}
header.top .brand span{color:#9ca3af;font-weight:500;margin-left:6px}
header.top nav{display:flex;gap:2px}
header.top nav a{color:#d1d5db;padding:6px 12px;border-radius:5px;font-weight:500}
header.top nav a:hover{background:#1f2937;text-decoration:none}
header.top nav a.on{background:#374151;color:#fff}
header.top .jump{margin-left:8px}
header.top .jump input{background:#1f2937;border:1px solid #374151;color:#fff;width:220px;padding:5px 9px}
header.top .who{margin-left:auto;display:flex;align-items:center;gap:12px;color:#9ca3af}
header.top .who b{color:#fff;font-weight:600}
header.top .who button{background:transparent;color:#d1d5db;border:1px solid #4b5563;padding:4px 10px}
header.top .who button:hover{background:#1f2937}
main{max-width:1320px;margin:0 auto;padding:18px 20px 48px}
h1{font-size:20px;margin:0 0 4px;font-weight:650}
h1 .mono{font-size:inherit}
h2{font-size:13px;margin:0;font-weight:650;text-transform:uppercase;letter-spacing:.5px;color:var(--ink2)}
.sub{color:var(--ink3);margin-bottom:14px}
.card{background:var(--card);border:1px solid var(--line);border-radius:7px;margin-bottom:14px}
.card>.hd{display:flex;align-items:center;gap:10px;padding:10px 14px;border-bottom:1px solid var(--line2)}
.card>.hd .n{color:var(--ink3);font-weight:500}
.card>.hd .right{margin-left:auto}
.card>.bd{padding:12px 14px}
.card>.empty{padding:14px;color:var(--ink3)}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:14px}
.grid2>.card{margin-bottom:0}
.gap{height:14px}
.cols{display:grid;grid-template-columns:minmax(0,1fr) 360px;gap:14px;align-items:start}
@media (max-width:1000px){.grid2,.cols{grid-template-columns:1fr}}
table{width:100%;border-collapse:collapse}
th{text-align:left;font-size:11px;text-transform:uppercase;letter-spacing:.4px;color:var(--ink3);font-weight:600;padding:7px 10px;border-bottom:1px solid var(--line);background:#fafbfc;white-space:nowrap}
td{padding:7px 10px;border-bottom:1px solid var(--line2);vertical-align:top}
tr:last-child>td{border-bottom:0}
tbody tr:hover>td{background:#fafbfd}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.nowrap,td.owner{white-space:nowrap}
.muted{color:var(--ink3)}.small{font-size:12px}
.break{overflow-wrap:anywhere}
.red,.red a{color:var(--red)}.green{color:var(--green)}.strong{font-weight:650}
.subhd{font-size:11px;text-transform:uppercase;letter-spacing:.4px;color:var(--ink3);font-weight:600;margin:14px 0 6px}
.badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:11.5px;font-weight:600;white-space:nowrap;background:var(--gray-bg);color:var(--ink2);line-height:18px}
.b-red{background:var(--red-bg);color:var(--red)}.b-amber{background:var(--amber-bg);color:var(--amber)}
.b-green{background:var(--green-bg);color:var(--green)}.b-blue{background:var(--blue-bg);color:var(--blue)}
.b-violet{background:var(--violet-bg);color:var(--violet)}
.title{display:block;max-width:640px;word-break:break-word}
.due-over{color:var(--red);font-weight:650}
form.inline{display:inline}
button,.btn{font:inherit;font-weight:600;border:1px solid var(--line);background:#fff;color:var(--ink);padding:5px 11px;border-radius:5px;cursor:pointer;white-space:nowrap}
button:hover,.btn:hover{background:#f3f4f6;text-decoration:none}
button.primary{background:var(--blue);border-color:var(--blue);color:#fff}button.primary:hover{background:#194f9f}
input,select,textarea{font:inherit;border:1px solid #cfd4dc;border-radius:5px;padding:5px 8px;background:#fff;color:var(--ink)}
textarea{width:100%;min-height:58px;resize:vertical}
input.wide,select{width:100%}
.filters select{width:auto}
label{display:block;font-size:12px;font-weight:600;color:var(--ink2);margin:8px 0 3px}
label .req{color:var(--red)}
.filters{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-end;padding:10px 14px}
.filters label{margin:0 0 3px}
.filters .f{display:flex;flex-direction:column}
details.act{position:relative;display:inline-block}
details.act>summary{list-style:none;cursor:pointer}
details.act>summary::-webkit-details-marker{display:none}
details.act>.pop{position:absolute;right:0;top:calc(100% + 6px);z-index:5;width:400px;background:#fff;border:1px solid var(--line);border-radius:7px;box-shadow:0 8px 28px rgba(15,23,42,.16);padding:4px 14px 14px;text-align:left;white-space:normal}
.actions{display:flex;gap:6px;justify-content:flex-end;align-items:flex-start}
.notice{padding:9px 14px;border-radius:6px;margin-bottom:14px;font-weight:500}
.notice.ok{background:var(--green-bg);color:var(--green);border:1px solid #bfe3cb}
.notice.err{background:var(--red-bg);color:var(--red);border:1px solid #f3c4c4}
.kv{display:grid;grid-template-columns:120px minmax(0,1fr);gap:5px 12px}
.kv dt{color:var(--ink3)}.kv dd{margin:0;word-break:break-word}
.ladder{display:grid;grid-template-columns:auto minmax(0,1fr);gap:3px 8px;align-items:baseline}
.ladder .r{color:var(--ink3);font-size:11px;text-transform:uppercase;letter-spacing:.3px}
.ladder .on{color:var(--amber);font-weight:650}
.ladder .on:after{content:" ◀ now";font-size:11px;font-weight:500}
.chain{display:flex;align-items:center;gap:12px;padding:12px 16px;border-radius:7px;margin-bottom:14px;font-weight:600;font-size:14px}
.chain.ok{background:var(--green-bg);color:var(--green);border:1px solid #bfe3cb}
.chain.bad{background:var(--red-bg);color:var(--red);border:1px solid #f3c4c4}
.chain .mark{font-size:20px}
.chain .muted{font-weight:400;font-size:12.5px}
.summary{display:flex;gap:28px;flex-wrap:wrap;align-items:center;margin:6px 0 14px}
.summary .k{font-size:11px;text-transform:uppercase;letter-spacing:.4px;color:var(--ink3)}
.summary .v{font-size:15px;font-weight:600}
ol.tl{list-style:none;margin:0;padding:4px 0 0 0}
ol.tl li{position:relative;padding:0 0 12px 22px}
ol.tl li:before{content:"";position:absolute;left:5px;top:6px;width:9px;height:9px;border-radius:50%;background:var(--blue)}
ol.tl li:after{content:"";position:absolute;left:9px;top:17px;bottom:-2px;width:1px;background:var(--line)}
ol.tl li:last-child:after{display:none}
ol.tl li.bad:before{background:var(--red)}ol.tl li.good:before{background:var(--green)}
ol.tl .when{color:var(--ink3);font-size:12px}
.attempts{table-layout:fixed}
.attempts td{font-size:12.5px;padding:4px 10px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.attempts .c-n{width:48px}.attempts .c-at{width:110px}.attempts .c-st{width:100px}.attempts .c-ms{width:80px}.attempts .c-err{width:150px}
.attempts{background:#fafbfc}
.notified{table-layout:fixed;width:100%}.notified td{overflow-wrap:anywhere;vertical-align:top}.notified th:first-child{width:24%}.notified th:last-child{width:42%}
.exp-row>td{border-bottom:0}
.big{font-size:24px;font-weight:700;font-variant-numeric:tabular-nums}
.stat{padding:12px 14px}
.stat+.stat{border-top:1px solid var(--line2)}
progress{display:block;width:calc(100% - 28px);height:10px;margin:4px 14px 10px}
.pager{display:flex;justify-content:space-between;padding:10px 14px;border-top:1px solid var(--line2)}
.signin{max-width:400px;margin:9vh auto 0}
.signin .card>.bd{padding:18px 22px 22px}
.signin input{width:100%}
.signin button{width:100%;margin-top:16px;padding:8px}
.signin h1{text-align:center;margin-bottom:2px}
.signin .sub{text-align:center}
pre.json{margin:0;white-space:pre-wrap;word-break:break-word;font-size:12px;background:#fafbfc;border:1px solid var(--line2);border-radius:5px;padding:8px;max-height:260px;overflow:auto}
.data{font-size:12px;color:var(--ink2);word-break:break-word}
.data b{color:var(--ink3);font-weight:500}
.errpage{max-width:560px;margin:12vh auto;text-align:center}
.errpage .code{font-size:44px;font-weight:750;color:var(--ink3)}
`;
