// The report form: check the photo before it is uploaded, and send the form once.
// The server checks everything again; this only saves a resident a slow, failed upload.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) {
    return;
  }
  var photo = document.getElementById("photo");
  var photoError = document.getElementById("error-photo");
  var submit = document.getElementById("submit");
  var maxMb = Number(photo.getAttribute("data-max-mb")) || 5;

  function show(message) {
    photoError.textContent = message;
    photoError.hidden = !message;
  }

  photo.addEventListener("change", function () {
    var file = photo.files && photo.files[0];
    show("");
    if (!file) {
      return;
    }
    if (file.type !== "image/jpeg" && file.type !== "image/png") {
      show("照片只能是 JPG 或 PNG 格式。");
      photo.value = "";
    } else if (file.size > maxMb * 1024 * 1024) {
      show("照片不能超过" + maxMb + "MB，请压缩后重新选择。");
      photo.value = "";
    }
  });

  form.addEventListener("submit", function () {
    submit.disabled = true;
    submit.textContent = "正在提交……";
  });
})();
