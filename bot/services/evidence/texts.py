"""Evidence (现场照片/视频) acknowledgements and refusals.

Short Simplified Chinese; templates use str.format fields. A ticket is always「工单 <编号>」,
a time is always local, as「11月24日 18:00」.
"""

ATTACH_READY = "请在 {minutes} 分钟内发送工单 {code} 的现场照片或视频，收到后会自动归档。"

EVIDENCE_RECEIVED = "已收到工单 {code} 的现场照片/视频，共 {count} 个，已归档。"

EVIDENCE_MISSING = "工单 {code} 的一个照片/视频没有接收成功（已重试 {attempts} 次），请重新发送。"

EVIDENCE_LIMIT = "工单 {code} 已有 {count} 个照片/视频，达到上限，本次未归档。"
